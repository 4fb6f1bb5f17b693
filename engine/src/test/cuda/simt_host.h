// A tiny SIMT emulator so a kernel's logic can be checked on a machine without a GPU: one block at
// a time, each CUDA thread a std::thread; __syncthreads is a block barrier, warp shuffles and
// ballots exchange through per-warp slots between two warp barriers (so every lane of a warp must
// reach each warp-level call, as with full masks on the GPU). Shared atomics are std::atomic_ref.
// Not a timing tool and not a memory-model check: it runs the arithmetic and the control flow.
//   g++ -std=c++20 -O2 -pthread -x c++ -include engine/src/test/cuda/simt_host.h \
//       -I engine/src/main/cuda engine/src/test/cuda/sampling_test.cu -o /tmp/sampling_emulated
#pragma once
#include <math.h>

#include <atomic>
#include <barrier>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#define SIMT_EMULATED 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(a, b)
#define __shared__ static

struct simt_dim3 {
    unsigned x = 0, y = 0, z = 0;
};
inline thread_local simt_dim3 threadIdx;
inline thread_local simt_dim3 blockIdx;
inline simt_dim3 blockDim;

struct SimtBlock {
    int threads;
    std::barrier<> block;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::vector<uint64_t> slots;   // [threads] exchange words
    explicit SimtBlock(int n) : threads(n), block(n), slots(n) {
        for (int w = 0; w < n / 32; w++) warps.emplace_back(new std::barrier<>(32));
    }
};
inline SimtBlock* simt_block;

inline void __syncthreads() { simt_block->block.arrive_and_wait(); }
inline int __syncthreads_or(int p) {
    int t = threadIdx.x;
    simt_block->slots[t] = p != 0;
    __syncthreads();
    int r = 0;
    for (int i = 0; i < simt_block->threads; i++) r |= (int)simt_block->slots[i];
    __syncthreads();
    return r;
}

template <class T>
inline T simt_exchange(T v, int src) {
    int t = threadIdx.x, w = t >> 5;
    uint64_t word = 0;
    memcpy(&word, &v, sizeof(T));
    simt_block->slots[t] = word;
    simt_block->warps[w]->arrive_and_wait();
    uint64_t got = simt_block->slots[(w << 5) + src];
    simt_block->warps[w]->arrive_and_wait();
    T r;
    memcpy(&r, &got, sizeof(T));
    return r;
}
template <class T> inline T __shfl_sync(unsigned, T v, int src) { return simt_exchange(v, src & 31); }
template <class T> inline T __shfl_up_sync(unsigned, T v, unsigned d) {
    int lane = threadIdx.x & 31;
    return simt_exchange(v, lane - (int)d >= 0 ? lane - (int)d : lane);
}
template <class T> inline T __shfl_xor_sync(unsigned, T v, int m) { return simt_exchange(v, (int)((threadIdx.x & 31) ^ m)); }
inline unsigned __ballot_sync(unsigned, int p) {
    int t = threadIdx.x, w = t >> 5;
    simt_block->slots[t] = p != 0;
    simt_block->warps[w]->arrive_and_wait();
    unsigned r = 0;
    for (int l = 0; l < 32; l++) r |= (unsigned)simt_block->slots[(w << 5) + l] << l;
    simt_block->warps[w]->arrive_and_wait();
    return r;
}

inline unsigned atomicAdd(unsigned* a, unsigned v) { return std::atomic_ref<unsigned>(*a).fetch_add(v); }
inline unsigned long long atomicAdd(unsigned long long* a, unsigned long long v) {
    return std::atomic_ref<unsigned long long>(*a).fetch_add(v);
}
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline int __float_as_int(float f) { int u; memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline float __int_as_float(int u) { float f; memcpy(&f, &u, 4); return f; }
inline int __ffs(unsigned x) { return x ? std::countr_zero(x) + 1 : 0; }
inline int __popc(unsigned x) { return std::popcount(x); }
inline int __clz(unsigned x) { return std::countl_zero(x); }
inline unsigned long long __float2ull_rz(float f) { return f <= 0 ? 0ull : (unsigned long long)f; }

// The runtime calls the harness makes, on host memory.
typedef int cudaError_t;
typedef int cudaEvent_t;
enum { cudaSuccess = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2 };
template <class T> inline cudaError_t cudaMalloc(T** p, size_t n) { *p = (T*)malloc(n ? n : 1); return 0; }
inline cudaError_t cudaFree(void* p) { free(p); return 0; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, int) { memcpy(d, s, n); return 0; }
inline cudaError_t cudaMemset(void* d, int v, size_t n) { memset(d, v, n); return 0; }
inline cudaError_t cudaGetLastError() { return 0; }
inline cudaError_t cudaDeviceSynchronize() { return 0; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated"; }

/** Runs grid blocks of `threads` threads, one block after another. */
template <class F>
inline void simt_launch(int grid, int threads, F kernel) {
    blockDim.x = threads;
    for (int b = 0; b < grid; b++) {
        SimtBlock blk(threads);
        simt_block = &blk;
        std::vector<std::thread> ts;
        ts.reserve(threads);
        for (int t = 0; t < threads; t++) {
            ts.emplace_back([&, t, b] {
                threadIdx.x = t;
                blockIdx.x = b;
                kernel();
            });
        }
        for (auto& th : ts) th.join();
    }
}
