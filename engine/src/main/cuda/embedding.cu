// embedding.cu: h[i, :] = table[tokenIds[i], :] widened to fp32 (no scaling, no positions).
//
// Contract: embed_T(const T* table, const int* tokenIds, float* h, int n, int hidden),
// grid (n), block 256. A negative token id (a padding row of a CUDA-graph bucket) embeds zeros.
// Pure copy: memory-bound, so each thread moves 8 elements per step with 16-byte loads when the
// row and both pointers are 16-byte aligned (every real hidden size is a multiple of 8); a scalar
// loop covers anything else.
#include "common.cuh"

template <typename T>
MT_DEVICE void embed_impl(const T* __restrict__ table, const int* __restrict__ tokenIds,
                          float* __restrict__ h, int n, int hidden) {
    const int row = blockIdx.x;
    if (row >= n) return;
    const int token = tokenIds[row];
    float* dst = h + (long long)row * hidden;
    if (token < 0) {
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) dst[c] = 0.0f;
        return;
    }
    const T* src = table + (long long)token * hidden;
    if (hidden % mt::kVec == 0 && mt::aligned16(table) && mt::aligned16(h)) {
        const int chunks = hidden / mt::kVec;
        for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
            float v[mt::kVec];
            mt::load8(src + c * mt::kVec, v);
            mt::store8(dst + c * mt::kVec, v);
        }
    } else {
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) dst[c] = mt::to_float(src[c]);
    }
}

#define MT_EMBED(SUFFIX, T)                                                                     \
    extern "C" __global__ void __launch_bounds__(256)                                          \
        embed_##SUFFIX(const T* table, const int* tokenIds, float* h, int n, int hidden) {     \
        embed_impl<T>(table, tokenIds, h, n, hidden);                                           \
    }
MT_FOR_EACH_DTYPE(MT_EMBED)
