// common.cuh: shared device helpers for the Minitron CUDA kernels.
//
// Included by every engine/src/main/cuda/*.cu file. Must stay NVRTC-compatible: the only headers
// are <cuda_bf16.h> and <cuda_fp16.h> (both ship with NVRTC); no host headers, no printf, no std::.
//
// What is here, and why:
//   * mt::to_float / mt::from_float<T>: one spelling for the three storage dtypes
//     (float, __nv_bfloat16, __half). Narrowing is always round-to-nearest-even, the same rounding
//     as the CPU backend's DType.round, so a GPU value cast to T matches the CPU bit for bit.
//   * mt::load8 / mt::store8 / mt::aligned16: 8-element chunks moved with 16-byte (or 2x16-byte for
//     fp32) vector loads/stores. Every hidden size we run is a multiple of 8; callers check
//     mt::aligned16 on the pointers once per block and fall back to scalar code otherwise.
//   * mt::warp_sum / warp_max / block_sum / block_max / warp_argmax: reductions with a FIXED
//     combination order (xor butterfly, then the per-warp partials in warp order). The result
//     depends only on the data and blockDim.x, never on scheduling, so runs are reproducible.
//     Every lane of every warp gets the identical value (float + is commutative, so the butterfly
//     pairs agree bit for bit), hence no extra broadcast.
//   * MT_FOR_EACH_DTYPE(X): expands X(bf16, __nv_bfloat16) X(f16, __half) X(f32, float), used to
//     stamp out the `extern "C"` entry points name_bf16 / name_f16 / name_f32 from one template.
//
// Conventions: kernels are 1-D blocks (threadIdx.x only) whose size is a multiple of 32 and at most
// 1024 threads. Element offsets that can exceed 2^31 (embedding table, KV cache, relu2 count) are
// computed in long long.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#define MT_DEVICE __device__ __forceinline__

// Stamps one `extern "C"` instantiation per dtype: X(suffix, type).
#define MT_FOR_EACH_DTYPE(X) \
    X(bf16, __nv_bfloat16)   \
    X(f16, __half)           \
    X(f32, float)

namespace mt {

constexpr int kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// ---------------------------------------------------------------------------------------------
// dtype conversion

MT_DEVICE float to_float(float x) { return x; }
MT_DEVICE float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
MT_DEVICE float to_float(__half x) { return __half2float(x); }

template <typename T> MT_DEVICE T from_float(float x);
template <> MT_DEVICE float from_float<float>(float x) { return x; }
template <> MT_DEVICE __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <> MT_DEVICE __half from_float<__half>(float x) { return __float2half_rn(x); }

// ---------------------------------------------------------------------------------------------
// 8-element vector moves (16 bytes for bf16/f16, 32 bytes for fp32)

constexpr int kVec = 8;

/** True when p is 16-byte aligned (the requirement of every load8/store8 below). */
template <typename T> MT_DEVICE bool aligned16(const T* p) {
    return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

namespace detail {
MT_DEVICE unsigned pack2(__nv_bfloat16, float a, float b) {
    __nv_bfloat162 v = __floats2bfloat162_rn(a, b);  // .x = a (low half), .y = b
    return *reinterpret_cast<unsigned*>(&v);
}
MT_DEVICE unsigned pack2(__half, float a, float b) {
    __half2 v = __floats2half2_rn(a, b);
    return *reinterpret_cast<unsigned*>(&v);
}
MT_DEVICE void unpack2(__nv_bfloat16, unsigned u, float& a, float& b) {
    __nv_bfloat162 v = *reinterpret_cast<__nv_bfloat162*>(&u);
    float2 f = __bfloat1622float2(v);
    a = f.x;
    b = f.y;
}
MT_DEVICE void unpack2(__half, unsigned u, float& a, float& b) {
    __half2 v = *reinterpret_cast<__half2*>(&u);
    float2 f = __half22float2(v);
    a = f.x;
    b = f.y;
}
}  // namespace detail

/** Loads p[0..7] (p 16-byte aligned) into v as fp32. */
template <typename T> MT_DEVICE void load8(const T* p, float (&v)[kVec]) {
    uint4 u = *reinterpret_cast<const uint4*>(p);
    detail::unpack2(T(), u.x, v[0], v[1]);
    detail::unpack2(T(), u.y, v[2], v[3]);
    detail::unpack2(T(), u.z, v[4], v[5]);
    detail::unpack2(T(), u.w, v[6], v[7]);
}
template <> MT_DEVICE void load8<float>(const float* p, float (&v)[kVec]) {
    float4 a = reinterpret_cast<const float4*>(p)[0];
    float4 b = reinterpret_cast<const float4*>(p)[1];
    v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w;
    v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
}

/** Stores v (rounded to T, nearest even) to p[0..7] (p 16-byte aligned). */
template <typename T> MT_DEVICE void store8(T* p, const float (&v)[kVec]) {
    uint4 u;
    u.x = detail::pack2(T(), v[0], v[1]);
    u.y = detail::pack2(T(), v[2], v[3]);
    u.z = detail::pack2(T(), v[4], v[5]);
    u.w = detail::pack2(T(), v[6], v[7]);
    *reinterpret_cast<uint4*>(p) = u;
}
template <> MT_DEVICE void store8<float>(float* p, const float (&v)[kVec]) {
    reinterpret_cast<float4*>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
    reinterpret_cast<float4*>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
}

// ---------------------------------------------------------------------------------------------
// Deterministic reductions. All threads of a warp (block) must call them (no divergence).

MT_DEVICE float warp_sum(float v) {
#pragma unroll
    for (int o = kWarpSize / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
    return v;
}

MT_DEVICE float warp_max(float v) {
#pragma unroll
    for (int o = kWarpSize / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, o));
    return v;
}

/**
 * (value, index) argmax over a warp; ties (and NaN-free equal values) go to the smaller index,
 * so the answer does not depend on which lane held what first. Every lane gets the result.
 */
MT_DEVICE void warp_argmax(float& v, int& idx) {
#pragma unroll
    for (int o = kWarpSize / 2; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(kFullMask, v, o);
        int oi = __shfl_xor_sync(kFullMask, idx, o);
        if (ov > v || (ov == v && oi < idx)) {
            v = ov;
            idx = oi;
        }
    }
}

/**
 * Sum over the whole block, returned to every thread. scratch: 32 floats of shared memory, may be
 * reused by consecutive calls (the leading barrier protects it). Order: butterfly inside each warp,
 * then the warp partials combined by the same butterfly in warp order, so the result is a fixed
 * function of the data.
 */
MT_DEVICE float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & (kWarpSize - 1);
    const int warp = threadIdx.x / kWarpSize;
    const int warps = (blockDim.x + kWarpSize - 1) / kWarpSize;
    v = warp_sum(v);
    __syncthreads();  // earlier readers of scratch are done
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

/** Max over the whole block, returned to every thread; scratch as for block_sum. */
MT_DEVICE float block_max(float v, float* scratch) {
    const int lane = threadIdx.x & (kWarpSize - 1);
    const int warp = threadIdx.x / kWarpSize;
    const int warps = (blockDim.x + kWarpSize - 1) / kWarpSize;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -__int_as_float(0x7f800000);  // -inf
    return warp_max(v);
}

/** Block-wide argmax (smallest index on ties), to every thread. scratchV/scratchI: 32 each. */
MT_DEVICE void block_argmax(float& v, int& idx, float* scratchV, int* scratchI) {
    const int lane = threadIdx.x & (kWarpSize - 1);
    const int warp = threadIdx.x / kWarpSize;
    const int warps = (blockDim.x + kWarpSize - 1) / kWarpSize;
    warp_argmax(v, idx);
    __syncthreads();
    if (lane == 0) {
        scratchV[warp] = v;
        scratchI[warp] = idx;
    }
    __syncthreads();
    if (lane < warps) {
        v = scratchV[lane];
        idx = scratchI[lane];
    } else {
        v = -__int_as_float(0x7f800000);
        idx = 0x7fffffff;
    }
    warp_argmax(v, idx);
}

}  // namespace mt
