// rope_kv.cu: partial rotary embedding on q and k (in place, fp32), then the token's k and v are
// narrowed to T and written to its paged KV-cache slot.
//
// Contract: rope_kv_write_T(float* qkv, int qkvStride, const int* positions, const int* slotMapping,
//                           const float* cosTable, const float* sinTable, int rotaryHalf,
//                           T* kCache, T* vCache, int n, int heads, int kvHeads, int headDim),
// grid (n), block 128.
//   qkv row t: [q: heads*headDim | k: kvHeads*headDim | v: kvHeads*headDim], fp32, stride qkvStride.
//   cos/sinTable: [maxPositions, rotaryHalf] fp32, host-computed exactly like cpu/Rope (already
//   rounded to the run's dtype, as Hugging Face does).
//   Rotate-half (NeoX) on dims [0, 2*rotaryHalf) of every q and k head, pairs (j, j+rotaryHalf):
//     o[j] = x[j]*c - x[j+half]*s,  o[j+half] = x[j+half]*c + x[j]*s
//   with explicitly rounded fp32 ops (no FMA), the operation order of the Java reference, so q and
//   k match the CPU backend bit for bit. Dims past 2*rotaryHalf pass through.
//   KV cache per layer: [numBlocks, blockSize, kvHeads, headDim]; element (slot, kvh, d) at
//   (slot*kvHeads + kvh)*headDim + d, so a token's k (or v) is one contiguous run of
//   kvHeads*headDim elements at slot*kvHeads*headDim.
// Padding rows: slotMapping[t] < 0 writes no KV (q/k are still rotated when the position is valid);
// positions[t] < 0 skips the rotation (there is no table row to read).
#include "common.cuh"

MT_DEVICE void rotate_pair(float* x, int j, int half, float c, float s) {
    const float a = x[j];
    const float b = x[j + half];
    x[j] = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
    x[j + half] = __fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s));
}

/** Copies len fp32 values from src to dst narrowed to T (vectorized when aligned). src is not
 * __restrict__: it was written by this block just before, so no read-only (.nc) loads. */
template <typename T>
MT_DEVICE void copy_narrow(const float* src, T* __restrict__ dst, int len, bool vec) {
    if (vec) {
        for (int c = threadIdx.x; c < len / mt::kVec; c += blockDim.x) {
            float v[mt::kVec];
            mt::load8(src + c * mt::kVec, v);
            mt::store8(dst + c * mt::kVec, v);
        }
    } else {
        for (int c = threadIdx.x; c < len; c += blockDim.x) dst[c] = mt::from_float<T>(src[c]);
    }
}

template <typename T>
MT_DEVICE void rope_kv_write_impl(float* qkv, int qkvStride, const int* __restrict__ positions,
                                  const int* __restrict__ slotMapping, const float* __restrict__ cosTable,
                                  const float* __restrict__ sinTable, int rotaryHalf, T* __restrict__ kCache,
                                  T* __restrict__ vCache, int n, int heads, int kvHeads, int headDim) {
    const int t = blockIdx.x;
    if (t >= n) return;
    float* row = qkv + (long long)t * qkvStride;
    const int pos = positions[t];

    // 1. rotate q heads then k heads (they are adjacent in the row): one thread per (head, pair)
    if (pos >= 0) {
        const float* cosRow = cosTable + (long long)pos * rotaryHalf;
        const float* sinRow = sinTable + (long long)pos * rotaryHalf;
        const int pairs = (heads + kvHeads) * rotaryHalf;
        for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
            const int head = p / rotaryHalf;
            const int j = p - head * rotaryHalf;
            rotate_pair(row + head * headDim, j, rotaryHalf, cosRow[j], sinRow[j]);
        }
    }

    // 2. k (rotated) and v (raw) into the cache slot
    const int slot = slotMapping[t];
    if (slot < 0) return;
    __syncthreads();  // the rotated k written by other threads of this block is visible after this
    const int kvLen = kvHeads * headDim;
    const float* k = row + heads * headDim;
    const float* v = k + kvLen;
    const long long base = (long long)slot * kvLen;
    const bool vec = kvLen % mt::kVec == 0 && mt::aligned16(k) && mt::aligned16(v) &&
                     mt::aligned16(kCache + base) && mt::aligned16(vCache + base);
    copy_narrow<T>(k, kCache + base, kvLen, vec);
    copy_narrow<T>(v, vCache + base, kvLen, vec);
}

#define MT_ROPE_KV_WRITE(SUFFIX, T)                                                                      \
    extern "C" __global__ void __launch_bounds__(128) rope_kv_write_##SUFFIX(                          \
        float* qkv, int qkvStride, const int* positions, const int* slotMapping, const float* cosTable, \
        const float* sinTable, int rotaryHalf, T* kCache, T* vCache, int n, int heads, int kvHeads,     \
        int headDim) {                                                                                   \
        rope_kv_write_impl<T>(qkv, qkvStride, positions, slotMapping, cosTable, sinTable, rotaryHalf,   \
                              kCache, vCache, n, heads, kvHeads, headDim);                               \
    }
MT_FOR_EACH_DTYPE(MT_ROPE_KV_WRITE)
