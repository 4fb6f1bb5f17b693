// Helpers private to attention.cu: 16-byte vector <-> fp32 conversion per cache dtype, -inf, and
// segmented warp reductions. Kept apart from common.cuh (owned by another kernel file) so the two
// can evolve independently. NVRTC-compatible: only the CUDA fp16/bf16 headers.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace attn {

__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000); }

__device__ __forceinline__ float bf16_lo(unsigned int u) { return __uint_as_float(u << 16); }
__device__ __forceinline__ float bf16_hi(unsigned int u) { return __uint_as_float(u & 0xffff0000u); }
__device__ __forceinline__ float f16_lo(unsigned int u) { return __half2float(__ushort_as_half((unsigned short)(u & 0xffffu))); }
__device__ __forceinline__ float f16_hi(unsigned int u) { return __half2float(__ushort_as_half((unsigned short)(u >> 16))); }

/**
 * Per-dtype access to cache rows. A "vector" is 16 bytes (EPV elements): the unit of global and
 * shared loads for K/V rows. load4/store4 move 4 consecutive elements (the P·V column quad).
 */
template <typename T> struct Dt;

template <> struct Dt<__nv_bfloat16> {
    static constexpr int EPV = 8;
    __device__ static __forceinline__ void unpack(const uint4& u, float* f) {
        f[0] = bf16_lo(u.x); f[1] = bf16_hi(u.x); f[2] = bf16_lo(u.y); f[3] = bf16_hi(u.y);
        f[4] = bf16_lo(u.z); f[5] = bf16_hi(u.z); f[6] = bf16_lo(u.w); f[7] = bf16_hi(u.w);
    }
    __device__ static __forceinline__ float4 load4(const __nv_bfloat16* p) {
        const uint2 u = *reinterpret_cast<const uint2*>(p);
        return make_float4(bf16_lo(u.x), bf16_hi(u.x), bf16_lo(u.y), bf16_hi(u.y));
    }
    __device__ static __forceinline__ unsigned int pack2(float a, float b) {
        return (unsigned int)__bfloat16_as_ushort(__float2bfloat16_rn(a))
             | ((unsigned int)__bfloat16_as_ushort(__float2bfloat16_rn(b)) << 16);
    }
    __device__ static __forceinline__ void store4(__nv_bfloat16* p, float4 v) {
        *reinterpret_cast<uint2*>(p) = make_uint2(pack2(v.x, v.y), pack2(v.z, v.w));
    }
};

template <> struct Dt<__half> {
    static constexpr int EPV = 8;
    __device__ static __forceinline__ void unpack(const uint4& u, float* f) {
        f[0] = f16_lo(u.x); f[1] = f16_hi(u.x); f[2] = f16_lo(u.y); f[3] = f16_hi(u.y);
        f[4] = f16_lo(u.z); f[5] = f16_hi(u.z); f[6] = f16_lo(u.w); f[7] = f16_hi(u.w);
    }
    __device__ static __forceinline__ float4 load4(const __half* p) {
        const uint2 u = *reinterpret_cast<const uint2*>(p);
        return make_float4(f16_lo(u.x), f16_hi(u.x), f16_lo(u.y), f16_hi(u.y));
    }
    __device__ static __forceinline__ unsigned int pack2(float a, float b) {
        return (unsigned int)__half_as_ushort(__float2half_rn(a))
             | ((unsigned int)__half_as_ushort(__float2half_rn(b)) << 16);
    }
    __device__ static __forceinline__ void store4(__half* p, float4 v) {
        *reinterpret_cast<uint2*>(p) = make_uint2(pack2(v.x, v.y), pack2(v.z, v.w));
    }
};

template <> struct Dt<float> {
    static constexpr int EPV = 4;
    __device__ static __forceinline__ void unpack(const uint4& u, float* f) {
        f[0] = __uint_as_float(u.x); f[1] = __uint_as_float(u.y);
        f[2] = __uint_as_float(u.z); f[3] = __uint_as_float(u.w);
    }
    __device__ static __forceinline__ float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
    __device__ static __forceinline__ void store4(float* p, float4 v) { *reinterpret_cast<float4*>(p) = v; }
};

/** Max over aligned segments of WIDTH lanes (all 32 lanes must call it). */
template <int WIDTH>
__device__ __forceinline__ float seg_max(float v) {
#pragma unroll
    for (int o = WIDTH / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o, WIDTH));
    return v;
}

/** Sum over aligned segments of WIDTH lanes (all 32 lanes must call it); butterfly, so every lane
 *  of a segment ends with the same bits. */
template <int WIDTH>
__device__ __forceinline__ float seg_sum(float v) {
#pragma unroll
    for (int o = WIDTH / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o, WIDTH);
    return v;
}

}  // namespace attn
