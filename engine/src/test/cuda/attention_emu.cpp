// CPU emulation of attention.cu for machines without a GPU: the kernels are compiled as host C++,
// each block runs as 128 std::threads (barriers for __syncthreads, a per-warp exchange for
// __shfl_xor_sync), and the results are compared with a double-precision reference on small shapes.
// It checks indexing, masking, partition/reduce logic and barrier placement; not speed, not the real
// memory model. Build and run here:
//   g++ -std=c++20 -O2 -pthread -I/usr/local/cuda/include -I engine/src/main/cuda \
//       engine/src/test/cuda/attention_emu.cpp -o /tmp/attention_emu && /tmp/attention_emu
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <vector_functions.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#undef __global__
#undef __device__
#undef __forceinline__
#undef __shared__
#undef __launch_bounds__
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(x)

thread_local uint3 threadIdx, blockIdx;
static std::barrier<>* g_block;
static std::barrier<>* g_warp[4];
static float g_xchg[4][32];

static inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
static inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline void __syncthreads() { g_block->arrive_and_wait(); }
static inline float __shfl_xor_sync(unsigned, float v, int o, int width) {
    const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
    g_xchg[w][lane] = v;
    g_warp[w]->arrive_and_wait();
    const int src = (lane & ~(width - 1)) | ((lane ^ o) & (width - 1));
    const float r = g_xchg[w][src];
    g_warp[w]->arrive_and_wait();
    return r;
}

#include "attention.cu"

template <typename F> static void launch(dim3 grid, F kernel) {
    std::barrier<> block(128);
    std::barrier<> w0(32), w1(32), w2(32), w3(32);
    g_block = &block;
    g_warp[0] = &w0; g_warp[1] = &w1; g_warp[2] = &w2; g_warp[3] = &w3;
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x) {
                std::vector<std::thread> th;
                for (unsigned t = 0; t < 128; ++t)
                    th.emplace_back([&, t] {
                        threadIdx = make_uint3(t, 0, 0);
                        blockIdx = make_uint3(x, y, z);
                        kernel();
                    });
                for (auto& t : th) t.join();
            }
}

template <typename T> struct H;
template <> struct H<__nv_bfloat16> {
    static const char* name() { return "bf16"; }
    static __nv_bfloat16 from(float f) { return __float2bfloat16_rn(f); }
    static float to(__nv_bfloat16 v) { return __bfloat162float(v); }
    static double tol() { return 1.5e-2; }
};
template <> struct H<__half> {
    static const char* name() { return "f16"; }
    static __half from(float f) { return __float2half_rn(f); }
    static float to(__half v) { return __half2float(v); }
    static double tol() { return 3e-3; }
};
template <> struct H<float> {
    static const char* name() { return "f32"; }
    static float from(float f) { return f; }
    static float to(float v) { return v; }
    static double tol() { return 5e-5; }
};

struct Seq { int qlen, seqLen; };
static int g_fail = 0;

template <typename T>
static void run(const char* name, int heads, int kvHeads, int D, int BS, std::vector<Seq> seqs, bool decodeMode,
                int part, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-1.f, 1.f);
    const int ns = (int)seqs.size(), G = heads / kvHeads, stride = (heads + 2 * kvHeads) * D;
    std::vector<int> qsl(ns + 1, 0), lens(ns);
    int maxQ = 0, maxLen = 0, maxBlocks = 1, total = 0;
    for (int s = 0; s < ns; ++s) {
        qsl[s + 1] = qsl[s] + seqs[s].qlen; lens[s] = seqs[s].seqLen;
        maxQ = std::max(maxQ, seqs[s].qlen); maxLen = std::max(maxLen, seqs[s].seqLen);
        int nb = (seqs[s].seqLen + BS - 1) / BS; maxBlocks = std::max(maxBlocks, nb + 1); total += nb;
    }
    const int n = qsl[ns], numBlocks = total + 3;
    std::vector<int> ids(numBlocks); std::iota(ids.begin(), ids.end(), 0); std::shuffle(ids.begin(), ids.end(), rng);
    std::vector<int> table((size_t)ns * maxBlocks);
    for (int s = 0, next = 0; s < ns; ++s) {
        int nb = (seqs[s].seqLen + BS - 1) / BS;
        for (int b = 0; b < maxBlocks; ++b) table[(size_t)s * maxBlocks + b] = b < nb ? ids[next++] : (int)(rng() % numBlocks);
    }
    const size_t ce = (size_t)numBlocks * BS * kvHeads * D;
    std::vector<T> kc(ce), vc(ce);
    for (size_t i = 0; i < ce; ++i) { kc[i] = H<T>::from(uni(rng)); vc[i] = H<T>::from(uni(rng)); }
    std::vector<float> qkv((size_t)std::max(n, 1) * stride);
    for (auto& x : qkv) x = 2.5f * uni(rng);
    std::vector<T> out((size_t)std::max(n, 1) * heads * D, H<T>::from(NAN));
    const float sc = 1.f / std::sqrt((float)D);
    if (decodeMode) {
        const int mp = std::max(1, (maxLen + part - 1) / part);
        const size_t pn = (size_t)ns * heads * mp;
        std::vector<float> po(pn * D, NAN), pm(pn, NAN), ps(pn, NAN);
        auto kd = [&] { paged_attention_decode_f32; };
        (void)kd;
        if constexpr (sizeof(T) == 4) {
            launch(dim3(ns, kvHeads, mp), [&] { paged_attention_decode_f32(qkv.data(), stride, kc.data(), vc.data(), table.data(), maxBlocks, lens.data(), ns, heads, kvHeads, D, BS, sc, part, mp, po.data(), pm.data(), ps.data()); });
            launch(dim3(ns, heads), [&] { paged_attention_reduce_f32(po.data(), pm.data(), ps.data(), lens.data(), ns, heads, D, part, mp, out.data()); });
        } else if constexpr (std::is_same_v<T, __half>) {
            launch(dim3(ns, kvHeads, mp), [&] { paged_attention_decode_f16(qkv.data(), stride, kc.data(), vc.data(), table.data(), maxBlocks, lens.data(), ns, heads, kvHeads, D, BS, sc, part, mp, po.data(), pm.data(), ps.data()); });
            launch(dim3(ns, heads), [&] { paged_attention_reduce_f16(po.data(), pm.data(), ps.data(), lens.data(), ns, heads, D, part, mp, out.data()); });
        } else {
            launch(dim3(ns, kvHeads, mp), [&] { paged_attention_decode_bf16(qkv.data(), stride, kc.data(), vc.data(), table.data(), maxBlocks, lens.data(), ns, heads, kvHeads, D, BS, sc, part, mp, po.data(), pm.data(), ps.data()); });
            launch(dim3(ns, heads), [&] { paged_attention_reduce_bf16(po.data(), pm.data(), ps.data(), lens.data(), ns, heads, D, part, mp, out.data()); });
        }
    } else {
        dim3 g(ns, kvHeads, std::max(1, (maxQ + 15) / 16));
        if constexpr (sizeof(T) == 4)
            launch(g, [&] { paged_attention_prefill_f32(qkv.data(), stride, kc.data(), vc.data(), table.data(), maxBlocks, lens.data(), qsl.data(), ns, heads, kvHeads, D, BS, sc, out.data()); });
        else if constexpr (std::is_same_v<T, __half>)
            launch(g, [&] { paged_attention_prefill_f16(qkv.data(), stride, kc.data(), vc.data(), table.data(), maxBlocks, lens.data(), qsl.data(), ns, heads, kvHeads, D, BS, sc, out.data()); });
        else
            launch(g, [&] { paged_attention_prefill_bf16(qkv.data(), stride, kc.data(), vc.data(), table.data(), maxBlocks, lens.data(), qsl.data(), ns, heads, kvHeads, D, BS, sc, out.data()); });
    }
    double maxErr = 0; size_t bad = 0;
    for (int s = 0; s < ns; ++s)
        for (int i = 0; i < seqs[s].qlen; ++i) {
            const int tkn = qsl[s] + i, pos = seqs[s].seqLen - seqs[s].qlen + i;
            for (int h = 0; h < heads; ++h) {
                std::vector<double> o(D, 0.0);
                if (seqs[s].seqLen > 0) {
                    std::vector<double> w(pos + 1);
                    double mx = -1e300, sum = 0;
                    for (int k = 0; k <= pos; ++k) {
                        size_t slot = (size_t)table[(size_t)s * maxBlocks + k / BS] * BS + k % BS;
                        double a = 0;
                        for (int d = 0; d < D; ++d) a += (double)qkv[(size_t)tkn * stride + h * D + d] * H<T>::to(kc[(slot * kvHeads + h / G) * D + d]);
                        w[k] = a / std::sqrt((double)D); mx = std::max(mx, w[k]);
                    }
                    for (int k = 0; k <= pos; ++k) { w[k] = std::exp(w[k] - mx); sum += w[k]; }
                    for (int k = 0; k <= pos; ++k) {
                        size_t slot = (size_t)table[(size_t)s * maxBlocks + k / BS] * BS + k % BS;
                        for (int d = 0; d < D; ++d) o[d] += w[k] / sum * H<T>::to(vc[(slot * kvHeads + h / G) * D + d]);
                    }
                }
                for (int d = 0; d < D; ++d) {
                    double g = H<T>::to(out[((size_t)tkn * heads + h) * D + d]);
                    double e = std::fabs(g - o[d]);
                    if (!(e <= H<T>::tol() * (1 + std::fabs(o[d])))) { ++bad; e = std::isnan(e) ? INFINITY : e; }
                    maxErr = std::max(maxErr, e);
                }
            }
        }
    std::printf("%s %s %s h%d/kv%d/d%d bs%d part%d max_abs_err=%.3g bad=%zu\n", bad ? "FAIL" : "PASS", name,
                H<T>::name(), heads, kvHeads, D, BS, part, maxErr, bad);
    if (bad) ++g_fail;
}

template <typename T> static void all() {
    std::vector<Seq> dec = {{1, 1}, {1, 0}, {1, 37}, {1, 200}, {1, 33}, {1, 64}};
    run<T>("decode", 48, 8, 128, 16, dec, true, 512, 1);
    run<T>("decode", 48, 8, 128, 16, dec, true, 48, 2);
    run<T>("decode", 12, 2, 16, 16, dec, true, 40, 3);
    run<T>("decode", 3, 1, 128, 8, dec, true, 64, 4);
    run<T>("decode", 4, 2, 40, 8, dec, true, 32, 5);
    run<T>("decode", 18, 1, 64, 16, dec, true, 64, 6);  // G 18 > RC: row chunks
    std::vector<Seq> mix = {{40, 40}, {20, 150}, {1, 1}, {1, 90}, {17, 17}, {1, 0}, {0, 5}, {3, 0}};
    run<T>("prefill", 48, 8, 128, 16, mix, false, 0, 7);
    run<T>("prefill", 12, 2, 16, 16, mix, false, 0, 8);
    run<T>("prefill", 3, 1, 128, 16, mix, false, 0, 9);
    run<T>("prefill", 4, 2, 40, 8, mix, false, 0, 10);
    run<T>("prefill", 2, 1, 256, 16, mix, false, 0, 11);
}

int main() {
    all<__nv_bfloat16>();
    all<__half>();
    all<float>();
    std::printf("%s attention_emu: %d failure(s)\n", g_fail ? "FAIL" : "PASS", g_fail);
    return g_fail;
}
