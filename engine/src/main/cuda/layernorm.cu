// layernorm.cu: Nemotron's LayerNorm1P on the fp32 residual stream, output in T for the next GEMM.
//
// Contract: layernorm1p_T(const float* h, const float* gamma, const float* beta, T* out,
//                         const int* rows, int n, int hidden, float eps), grid (n), block 256.
// Output row i normalizes input row r = rows ? rows[i] : i (rows lets the final norm gather only
// the rows whose logits are needed); a negative r writes a zero row.
//   out = (x - mean) / sqrt(var + eps) * gamma + beta,  gamma = 1 + w (already added on the host)
// Same math as cpu/LayerNorm1P: two passes in fp32 (mean, then the mean of squared deviations,
// which is better conditioned than E[x^2] - mean^2), biased variance, 1/sqrt in double. The sums
// use mt::block_sum (fixed order), so a row's result depends only on that row. The final affine
// step uses explicitly rounded fp32 ops (no FMA contraction), the exact operation order of the
// Java reference. One block per row; rows up to 8192 elements stay in registers between the passes
// (read once), longer ones are re-read per pass. Both paths sum in the same per-thread order.
#include "common.cuh"

MT_DEVICE float ln_affine(float x, float mean, float inv, float g, float b) {
    return __fadd_rn(__fmul_rn(__fmul_rn(__fsub_rn(x, mean), inv), g), b);
}

/** 1/sqrt(var + eps) as the Java reference computes it (the sum in fp32, the root in double). */
MT_DEVICE float ln_inv_std(float var, float eps) { return (float)(1.0 / sqrt((double)(var + eps))); }

// Rows up to kCachedChunks*8*blockDim.x elements (8192 at 256 threads: every Minitron/Nemotron
// hidden size) are read from memory once and kept in registers for the three passes.
constexpr int kCachedChunks = 4;

template <typename T>
MT_DEVICE void layernorm1p_cached(const float* __restrict__ x, const float* __restrict__ gamma,
                                  const float* __restrict__ beta, T* __restrict__ dst, int hidden, float eps,
                                  float* scratch) {
    const int chunks = hidden / mt::kVec;
    float v[kCachedChunks][mt::kVec];
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < kCachedChunks; ++i) {
        const int c = threadIdx.x + i * blockDim.x;
        if (c < chunks) {
            mt::load8(x + c * mt::kVec, v[i]);
#pragma unroll
            for (int k = 0; k < mt::kVec; ++k) s += v[i][k];
        }
    }
    const float mean = mt::block_sum(s, scratch) / (float)hidden;
    float q = 0.0f;
#pragma unroll
    for (int i = 0; i < kCachedChunks; ++i) {
        const int c = threadIdx.x + i * blockDim.x;
        if (c < chunks) {
#pragma unroll
            for (int k = 0; k < mt::kVec; ++k) {
                const float d = v[i][k] - mean;
                q += d * d;
            }
        }
    }
    const float inv = ln_inv_std(mt::block_sum(q, scratch) / (float)hidden, eps);
#pragma unroll
    for (int i = 0; i < kCachedChunks; ++i) {
        const int c = threadIdx.x + i * blockDim.x;
        if (c < chunks) {
            float g[mt::kVec], b[mt::kVec];
            mt::load8(gamma + c * mt::kVec, g);
            mt::load8(beta + c * mt::kVec, b);
#pragma unroll
            for (int k = 0; k < mt::kVec; ++k) v[i][k] = ln_affine(v[i][k], mean, inv, g[k], b[k]);
            mt::store8(dst + c * mt::kVec, v[i]);
        }
    }
}

/** Any row length: each pass reads the row again (vectorized when vec, else scalar). */
template <typename T>
MT_DEVICE void layernorm1p_reread(const float* __restrict__ x, const float* __restrict__ gamma,
                                  const float* __restrict__ beta, T* __restrict__ dst, int hidden, float eps,
                                  float* scratch, bool vec) {
    const int chunks = hidden / mt::kVec;

    // pass 1: mean
    float s = 0.0f;
    if (vec) {
        for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
            float v[mt::kVec];
            mt::load8(x + c * mt::kVec, v);
#pragma unroll
            for (int k = 0; k < mt::kVec; ++k) s += v[k];
        }
    } else {
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) s += x[c];
    }
    const float mean = mt::block_sum(s, scratch) / (float)hidden;

    // pass 2: biased variance from the deviations
    float q = 0.0f;
    if (vec) {
        for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
            float v[mt::kVec];
            mt::load8(x + c * mt::kVec, v);
#pragma unroll
            for (int k = 0; k < mt::kVec; ++k) {
                const float d = v[k] - mean;
                q += d * d;
            }
        }
    } else {
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
            const float d = x[c] - mean;
            q += d * d;
        }
    }
    const float inv = ln_inv_std(mt::block_sum(q, scratch) / (float)hidden, eps);

    // pass 3: normalize, scale, shift, narrow to T
    if (vec) {
        for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
            float v[mt::kVec], g[mt::kVec], b[mt::kVec];
            mt::load8(x + c * mt::kVec, v);
            mt::load8(gamma + c * mt::kVec, g);
            mt::load8(beta + c * mt::kVec, b);
#pragma unroll
            for (int k = 0; k < mt::kVec; ++k) v[k] = ln_affine(v[k], mean, inv, g[k], b[k]);
            mt::store8(dst + c * mt::kVec, v);
        }
    } else {
        for (int c = threadIdx.x; c < hidden; c += blockDim.x)
            dst[c] = mt::from_float<T>(ln_affine(x[c], mean, inv, gamma[c], beta[c]));
    }
}

template <typename T>
MT_DEVICE void layernorm1p_impl(const float* __restrict__ h, const float* __restrict__ gamma,
                                const float* __restrict__ beta, T* __restrict__ out,
                                const int* __restrict__ rows, int n, int hidden, float eps) {
    __shared__ float scratch[mt::kWarpSize];
    const int i = blockIdx.x;
    if (i >= n) return;
    const int r = rows ? rows[i] : i;
    T* dst = out + (long long)i * hidden;
    if (r < 0) {
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) dst[c] = mt::from_float<T>(0.0f);
        return;
    }
    const float* x = h + (long long)r * hidden;
    const bool vec = hidden % mt::kVec == 0 && mt::aligned16(h) && mt::aligned16(gamma) &&
                     mt::aligned16(beta) && mt::aligned16(out);
    if (vec && hidden <= kCachedChunks * mt::kVec * (int)blockDim.x) {
        layernorm1p_cached<T>(x, gamma, beta, dst, hidden, eps, scratch);
    } else {
        layernorm1p_reread<T>(x, gamma, beta, dst, hidden, eps, scratch, vec);
    }
}

#define MT_LAYERNORM1P(SUFFIX, T)                                                           \
    extern "C" __global__ void __launch_bounds__(256)                                      \
        layernorm1p_##SUFFIX(const float* h, const float* gamma, const float* beta, T* out, \
                             const int* rows, int n, int hidden, float eps) {               \
        layernorm1p_impl<T>(h, gamma, beta, out, rows, n, hidden, eps);                     \
    }
MT_FOR_EACH_DTYPE(MT_LAYERNORM1P)
