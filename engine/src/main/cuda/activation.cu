// activation.cu: Nemotron's MLP activation, out = relu(x)^2 = max(x, 0)^2, fp32 in, T out.
//
// Contract: relu2_T(const float* in, T* out, long long count); grid-stride loop; the host launches
// grid min(ceil(count/256), 65535), block 256. The input is the up-projection's fp32 GEMM output and
// the result feeds the down-projection GEMM in T. Memory-bound: 8 elements per step with vector
// loads/stores when both pointers are 16-byte aligned, then a scalar tail for count % 8.
#include "common.cuh"

MT_DEVICE float relu2(float x) {
    const float r = fmaxf(x, 0.0f);
    return r * r;
}

template <typename T>
MT_DEVICE void relu2_impl(const float* __restrict__ in, T* __restrict__ out, long long count) {
    const long long stride = (long long)gridDim.x * blockDim.x;
    const long long first = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    long long done = 0;  // elements handled by the vector loop
    if (mt::aligned16(in) && mt::aligned16(out)) {
        const long long chunks = count / mt::kVec;
        for (long long c = first; c < chunks; c += stride) {
            float v[mt::kVec];
            mt::load8(in + c * mt::kVec, v);
#pragma unroll
            for (int k = 0; k < mt::kVec; ++k) v[k] = relu2(v[k]);
            mt::store8(out + c * mt::kVec, v);
        }
        done = chunks * mt::kVec;
    }
    for (long long i = done + first; i < count; i += stride) out[i] = mt::from_float<T>(relu2(in[i]));
}

#define MT_RELU2(SUFFIX, T)                                                                 \
    extern "C" __global__ void __launch_bounds__(256)                                      \
        relu2_##SUFFIX(const float* in, T* out, long long count) {                         \
        relu2_impl<T>(in, out, count);                                                      \
    }
MT_FOR_EACH_DTYPE(MT_RELU2)
