// Paged causal GQA attention over the KV cache (layout: see BRIEF / cpu/PagedAttention).
//
// One tiled core serves decode and prefill. A block owns one kv head of one sequence and a set of
// "rows" = (query token, q head of that kv head's group): G = heads/kvHeads rows for decode (one
// token), 16*G rows for a prefill tile. Rows are processed in chunks of RC (Q chunk in shared, fp32,
// pre-scaled by scale*log2(e) so the softmax uses exp2). Keys are streamed in tiles of TK: the K and
// V rows of a tile are loaded ONCE from global (16-byte vectors, coalesced, slot via block table) into
// shared memory and reused by every row of the chunk — that is the GQA bandwidth saving. The next
// tile's vectors are prefetched into registers while the current tile is computed.
//
// Per tile:  S = Q·Kᵀ (thread = one key × rows of its row group; q broadcast from shared)
//            online softmax per row, fp32 (segmented shuffles over the TK lanes of a row group)
//            O = O·alpha + P·V (thread = 4 output dims × some rows)
// Masking: keys past the range or after the row's position get -inf; p = 0 exactly for them, a row
// that saw no valid key keeps l = 0 and writes zeros (never NaN).
//
// Decode splits the context into partitions (grid z) and writes per-partition normalized outputs plus
// (max, sum) for paged_attention_reduce_T, which combines them by log-sum-exp. partialMax is in
// log2 units of the scaled score (it pairs with exp2 in the reduce; nothing else reads it).
//
// headDim 128 is compiled as a constant (TK 32 = one warp per row group); any other multiple of 8
// up to 256 takes a generic path with runtime headDim (TK 16). Static shared memory only, < 48 KB.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "attention_util.cuh"

namespace attn {

constexpr int kThreads = 128;
constexpr int kPrefillQTile = 16;  // Java: PREFILL_Q_TILE
constexpr float kLog2e = 1.4426950408889634f;

/** Compile-time geometry and shared-memory layout of one core instance. */
template <typename T, int HDMAX, int TK, int RC>
struct Geo {
    static constexpr int EPV = Dt<T>::EPV;                       // elements per 16-byte vector
    static constexpr int PAD = EPV;                              // 16-byte pad per K/V row: conflict-free row reads
    static constexpr int NRG = kThreads / TK;                    // row groups (QK phase)
    static constexpr int RPT = (RC + NRG - 1) / NRG;             // rows per thread (QK phase)
    static constexpr int LPT = (TK * (HDMAX / EPV) + kThreads - 1) / kThreads;   // K (and V) vectors per thread per tile
    static constexpr int EPT = (RC * (HDMAX / 4) + kThreads - 1) / kThreads;     // output quads per thread
    static constexpr int Q_OFF = 0;
    static constexpr int K_OFF = Q_OFF + RC * (HDMAX + 4) * 4;
    static constexpr int KV_BYTES = TK * (HDMAX + PAD) * (int)sizeof(T);
    static constexpr int V_OFF = K_OFF + KV_BYTES;
    static constexpr int P_OFF = V_OFF + KV_BYTES;
    static constexpr int A_OFF = P_OFF + RC * TK * 4;            // alpha per row
    static constexpr int L_OFF = A_OFF + RC * 4;                 // final l per row
    static constexpr int S_OFF = L_OFF + RC * 4;                 // slots[2][TK]
    static constexpr int R_OFF = S_OFF + 2 * TK * 4;             // position of each row's query
    static constexpr int BYTES = R_OFF + RC * 4;
};

// The two instances per dtype and kernel. Decode has only G rows (6 on Minitron): RC 8 keeps its
// register footprint small (more resident blocks = more bytes in flight); larger groups are chunked.
// Prefill uses RC 32 (16 for fp32 caches so the tiles still fit in 48 KB).
template <typename T, bool DECODE> struct Fast128 {
    static constexpr int HD = 128, TK = 32, RC = DECODE ? 8 : (sizeof(T) == 4 ? 16 : 32);
    using G = Geo<T, HD, TK, RC>;
};
template <typename T> struct Generic {
    static constexpr int HD = 256, TK = 16, RC = 8;
    using G = Geo<T, HD, TK, RC>;
};
template <typename T, bool DECODE> struct Smem {
    static constexpr int a = Fast128<T, DECODE>::G::BYTES, b = Generic<T>::G::BYTES;
    static constexpr int BYTES = a > b ? a : b;
    static_assert(BYTES <= 48 * 1024, "static shared memory over 48 KB");
    static_assert(Fast128<T, DECODE>::RC <= kThreads && Generic<T>::RC <= kThreads, "row positions are written by one thread each");
};

/** Where the rows of one block come from and where their results go. */
struct Job {
    const float* qkv; int qkvStride;
    int tok0;      // qkv row of the block's first query
    int nq;        // queries in the block
    int G;         // q heads per kv head
    int head0;     // first q head (= kvh * G)
    int pos0;      // position of the first query; query i sits at pos0 + i
    int kBegin;    // key range [kBegin, kEnd), further capped by causality per chunk
    int kEnd;
    const int* table;  // this sequence's block table row
    int blockSize, kvHeads, kvh, heads;
    float qscale;
    // prefill output
    void* out;
    // decode output
    float* pOut; float* pMax; float* pSum; int maxPartitions, seq, part;
};

template <typename T, int DFIX, int HDMAX, int TK, int RC, bool DECODE>
__device__ __forceinline__ void attend(unsigned char* smem, const int Drt, const Job& j,
                                       const T* __restrict__ kCache, const T* __restrict__ vCache) {
    using Gm = Geo<T, HDMAX, TK, RC>;
    constexpr int EPV = Gm::EPV, NRG = Gm::NRG, RPT = Gm::RPT, LPT = Gm::LPT, EPT = Gm::EPT;
    const int D = DFIX ? DFIX : Drt;
    const int QS = D + 4;            // Q row stride (floats)
    const int KS = D + Gm::PAD;      // K/V row stride (elements)
    const int VPR = D / EPV;         // vectors per K/V row
    const int NCG = D / 4;           // output column quads
    float* Qs = reinterpret_cast<float*>(smem + Gm::Q_OFF);
    T* Ks = reinterpret_cast<T*>(smem + Gm::K_OFF);
    T* Vs = reinterpret_cast<T*>(smem + Gm::V_OFF);
    float* Ps = reinterpret_cast<float*>(smem + Gm::P_OFF);
    float* As = reinterpret_cast<float*>(smem + Gm::A_OFF);
    float* Ls = reinterpret_cast<float*>(smem + Gm::L_OFF);
    int* Sl = reinterpret_cast<int*>(smem + Gm::S_OFF);
    int* Rp = reinterpret_cast<int*>(smem + Gm::R_OFF);

    const int t = threadIdx.x;
    const int kq = t % TK;        // key of this thread in the QK phase
    const int rg = t / TK;        // row group of this thread in the QK phase
    const int totalRows = j.nq * j.G;
    const long long slotStride = (long long)j.kvHeads * D;
    const long long kvOff = (long long)j.kvh * D;

    for (int r0 = 0; r0 < totalRows; r0 += RC) {
        const int nr = min(RC, totalRows - r0);
        const int lastPos = j.pos0 + (r0 + nr - 1) / j.G;
        const int kEnd = min(j.kEnd, lastPos + 1);
        const int nTiles = kEnd > j.kBegin ? (kEnd - j.kBegin + TK - 1) / TK : 0;

        if (nTiles > 0) {
            for (int i = t; i < nr * NCG; i += kThreads) {
                const int r = i / NCG, c = i - r * NCG;
                const int gr = r0 + r, qi = gr / j.G, g = gr - qi * j.G;
                float4 v = *reinterpret_cast<const float4*>(
                    j.qkv + (long long)(j.tok0 + qi) * j.qkvStride + (long long)(j.head0 + g) * D + c * 4);
                v.x *= j.qscale; v.y *= j.qscale; v.z *= j.qscale; v.w *= j.qscale;
                *reinterpret_cast<float4*>(Qs + r * QS + c * 4) = v;
            }
            if (t < nr) Rp[t] = j.pos0 + (r0 + t) / j.G;  // RC <= kThreads
            if (t < TK) {
                const int key = j.kBegin + t;
                Sl[t] = key < kEnd ? j.table[key / j.blockSize] * j.blockSize + key % j.blockSize : -1;
            }
        }

        float m[RPT], l[RPT];
#pragma unroll
        for (int q = 0; q < RPT; ++q) {
            m[q] = neg_inf();
            l[q] = 0.f;
        }
        float4 acc[EPT];
#pragma unroll
        for (int e = 0; e < EPT; ++e) acc[e] = make_float4(0.f, 0.f, 0.f, 0.f);
        uint4 pk[LPT], pv[LPT];

        __syncthreads();  // Q chunk and first slots visible

        auto prefetch = [&](int buf) {
#pragma unroll
            for (int q = 0; q < LPT; ++q) {
                pk[q] = make_uint4(0u, 0u, 0u, 0u);
                pv[q] = pk[q];
                const int i = t + q * kThreads;
                if (i < TK * VPR) {
                    const int key = i / VPR, v = i - key * VPR;
                    const int slot = Sl[buf * TK + key];
                    if (slot >= 0) {
                        const long long off = (long long)slot * slotStride + kvOff + v * EPV;
                        pk[q] = *reinterpret_cast<const uint4*>(kCache + off);
                        pv[q] = *reinterpret_cast<const uint4*>(vCache + off);
                    }
                }
            }
        };
        if (nTiles > 0) prefetch(0);

        for (int it = 0; it < nTiles; ++it) {
            const int kt = j.kBegin + it * TK;
            const int nk = min(TK, kEnd - kt);
            // 1. prefetched vectors -> shared; slots of the next tile
#pragma unroll
            for (int q = 0; q < LPT; ++q) {
                const int i = t + q * kThreads;
                if (i < TK * VPR) {
                    const int key = i / VPR, v = i - key * VPR;
                    *reinterpret_cast<uint4*>(Ks + key * KS + v * EPV) = pk[q];
                    *reinterpret_cast<uint4*>(Vs + key * KS + v * EPV) = pv[q];
                }
            }
            if (t < TK && it + 1 < nTiles) {
                const int key = kt + TK + t;
                Sl[((it + 1) & 1) * TK + t] =
                    key < kEnd ? j.table[key / j.blockSize] * j.blockSize + key % j.blockSize : -1;
            }
            __syncthreads();
            if (it + 1 < nTiles) prefetch((it + 1) & 1);  // in flight during this tile's math

            // 2. scores of this thread's key for its rows
            float s[RPT];
#pragma unroll
            for (int q = 0; q < RPT; ++q) s[q] = 0.f;
            const T* krow = Ks + kq * KS;
#pragma unroll 4
            for (int d = 0; d < D; d += EPV) {
                float kf[EPV];
                Dt<T>::unpack(*reinterpret_cast<const uint4*>(krow + d), kf);
#pragma unroll
                for (int q = 0; q < RPT; ++q) {
                    const int r = rg + q * NRG;
                    if (r < nr) {
                        const float* qr = Qs + r * QS + d;
#pragma unroll
                        for (int e = 0; e < EPV; e += 4) {
                            const float4 q4 = *reinterpret_cast<const float4*>(qr + e);
                            s[q] = fmaf(q4.x, kf[e], s[q]);
                            s[q] = fmaf(q4.y, kf[e + 1], s[q]);
                            s[q] = fmaf(q4.z, kf[e + 2], s[q]);
                            s[q] = fmaf(q4.w, kf[e + 3], s[q]);
                        }
                    }
                }
            }
            // 3. online softmax (all lanes take part in the shuffles)
            const int key = kt + kq;
#pragma unroll
            for (int q = 0; q < RPT; ++q) {
                const int r = rg + q * NRG;
                const float sv = (r < nr && kq < nk && key <= Rp[r]) ? s[q] : neg_inf();
                const float mn = fmaxf(m[q], seg_max<TK>(sv));
                const float p = sv == neg_inf() ? 0.f : exp2f(sv - mn);
                const float alpha = m[q] == neg_inf() ? 0.f : exp2f(m[q] - mn);
                l[q] = l[q] * alpha + seg_sum<TK>(p);
                m[q] = mn;
                if (r < nr) {
                    Ps[r * TK + kq] = p;
                    if (kq == 0) As[r] = alpha;
                }
            }
            __syncthreads();

            // 4. O = O*alpha + P·V
            if (DFIX != 0 && kThreads % NCG == 0) {  // fast path only: keeps the generic path small
                // Every output quad of this thread has the same column: load each V quad once and
                // apply it to all of the thread's rows (rows r0c + e*rstep, valid while < nr).
                const int c = t % NCG, rbase = t / NCG, rstep = kThreads / NCG;
#pragma unroll
                for (int e = 0; e < EPT; ++e) {
                    const int r = rbase + e * rstep;
                    if (r < nr) {
                        const float a = As[r];
                        acc[e].x *= a; acc[e].y *= a; acc[e].z *= a; acc[e].w *= a;
                    }
                }
                const T* vcol = Vs + c * 4;
#pragma unroll 4
                for (int k = 0; k < nk; ++k) {
                    const float4 v = Dt<T>::load4(vcol + k * KS);
#pragma unroll
                    for (int e = 0; e < EPT; ++e) {
                        const int r = rbase + e * rstep;
                        if (r < nr) {
                            const float p = Ps[r * TK + k];
                            acc[e].x = fmaf(p, v.x, acc[e].x); acc[e].y = fmaf(p, v.y, acc[e].y);
                            acc[e].z = fmaf(p, v.z, acc[e].z); acc[e].w = fmaf(p, v.w, acc[e].w);
                        }
                    }
                }
            } else {
#pragma unroll
                for (int e = 0; e < EPT; ++e) {
                    const int i = t + e * kThreads;
                    if (i < nr * NCG) {
                        const int r = i / NCG, c = i - r * NCG;
                        const float a = As[r];
                        float4 o = acc[e];
                        o.x *= a; o.y *= a; o.z *= a; o.w *= a;
                        const float* prow = Ps + r * TK;
                        const T* vcol = Vs + c * 4;
#pragma unroll 4
                        for (int k = 0; k < nk; ++k) {
                            const float p = prow[k];
                            const float4 v = Dt<T>::load4(vcol + k * KS);
                            o.x = fmaf(p, v.x, o.x); o.y = fmaf(p, v.y, o.y);
                            o.z = fmaf(p, v.z, o.z); o.w = fmaf(p, v.w, o.w);
                        }
                        acc[e] = o;
                    }
                }
            }
            __syncthreads();  // tiles, P and alpha are overwritten next
        }

        // 5. normalize and write
#pragma unroll
        for (int q = 0; q < RPT; ++q) {
            const int r = rg + q * NRG;
            if (r < nr && kq == 0) {
                Ls[r] = l[q];
                if (DECODE) {
                    const long long pi = ((long long)j.seq * j.heads + j.head0 + (r0 + r)) * j.maxPartitions + j.part;
                    j.pMax[pi] = m[q];
                    j.pSum[pi] = l[q];
                }
            }
        }
        __syncthreads();
#pragma unroll
        for (int e = 0; e < EPT; ++e) {
            const int i = t + e * kThreads;
            if (i < nr * NCG) {
                const int r = i / NCG, c = i - r * NCG;
                const float lv = Ls[r];
                const float inv = lv > 0.f ? 1.f / lv : 0.f;
                float4 o = acc[e];
                o.x *= inv; o.y *= inv; o.z *= inv; o.w *= inv;
                const int gr = r0 + r, qi = gr / j.G, g = gr - qi * j.G;
                const int h = j.head0 + g;
                if (DECODE) {
                    const long long pi = ((long long)j.seq * j.heads + h) * j.maxPartitions + j.part;
                    *reinterpret_cast<float4*>(j.pOut + pi * D + c * 4) = o;
                } else {
                    T* out = reinterpret_cast<T*>(j.out);
                    Dt<T>::store4(out + (long long)(j.tok0 + qi) * j.heads * D + (long long)h * D + c * 4, o);
                }
            }
        }
        // No barrier needed here: the next chunk writes Ls only after its own barriers.
    }
}

template <typename T, bool DECODE>
__device__ __forceinline__ void dispatch(unsigned char* smem, int headDim, const Job& j,
                                         const T* kCache, const T* vCache) {
    if (headDim == 128) {
        using F = Fast128<T, DECODE>;
        attend<T, 128, F::HD, F::TK, F::RC, DECODE>(smem, headDim, j, kCache, vCache);
    } else {
        using F = Generic<T>;
        attend<T, 0, F::HD, F::TK, F::RC, DECODE>(smem, headDim, j, kCache, vCache);
    }
}

template <typename T>
__device__ __forceinline__ void decode(unsigned char* smem, const float* qkv, int qkvStride, const T* kCache,
                                       const T* vCache, const int* blockTables, int maxBlocksPerSeq,
                                       const int* seqLens, int numSeqs, int heads, int kvHeads, int headDim,
                                       int blockSize, float scale, int partitionSize, int maxPartitions,
                                       float* partialOut, float* partialMax, float* partialSum) {
    const int s = blockIdx.x, kvh = blockIdx.y, p = blockIdx.z;
    if (s >= numSeqs || p >= maxPartitions) return;
    const int seqLen = seqLens[s];
    const int kBegin = p * partitionSize;
    const int kEnd = min(kBegin + partitionSize, seqLen);
    if (kBegin >= kEnd) return;  // empty partition, or a padding sequence (seqLen 0)
    Job j;
    j.qkv = qkv; j.qkvStride = qkvStride;
    j.tok0 = s; j.nq = 1;
    j.G = heads / kvHeads; j.head0 = kvh * j.G;
    j.pos0 = seqLen - 1;
    j.kBegin = kBegin; j.kEnd = kEnd;
    j.table = blockTables + (long long)s * maxBlocksPerSeq;
    j.blockSize = blockSize; j.kvHeads = kvHeads; j.kvh = kvh; j.heads = heads;
    j.qscale = scale * kLog2e;
    j.out = nullptr;
    j.pOut = partialOut; j.pMax = partialMax; j.pSum = partialSum;
    j.maxPartitions = maxPartitions; j.seq = s; j.part = p;
    dispatch<T, true>(smem, headDim, j, kCache, vCache);
}

template <typename T>
__device__ __forceinline__ void reduce(const float* partialOut, const float* partialMax, const float* partialSum,
                                       const int* seqLens, int numSeqs, int heads, int headDim, int partitionSize,
                                       int maxPartitions, T* out) {
    const int s = blockIdx.x, h = blockIdx.y;
    if (s >= numSeqs) return;
    T* o = out + ((long long)s * heads + h) * headDim;
    const int seqLen = seqLens[s];
    if (seqLen <= 0) {
        for (int d = threadIdx.x * 4; d < headDim; d += kThreads * 4) Dt<T>::store4(o + d, make_float4(0.f, 0.f, 0.f, 0.f));
        return;
    }
    const int np = min((seqLen + partitionSize - 1) / partitionSize, maxPartitions);
    const long long base = ((long long)s * heads + h) * maxPartitions;
    float mx = neg_inf();
    for (int p = 0; p < np; ++p) mx = fmaxf(mx, partialMax[base + p]);
    float total = 0.f;
    for (int p = 0; p < np; ++p) total += partialSum[base + p] * exp2f(partialMax[base + p] - mx);
    const float inv = total > 0.f ? 1.f / total : 0.f;
    for (int d = threadIdx.x * 4; d < headDim; d += kThreads * 4) {
        float4 a = make_float4(0.f, 0.f, 0.f, 0.f);
        for (int p = 0; p < np; ++p) {
            const float w = partialSum[base + p] * exp2f(partialMax[base + p] - mx) * inv;
            const float4 v = *reinterpret_cast<const float4*>(partialOut + (base + p) * headDim + d);
            a.x = fmaf(w, v.x, a.x); a.y = fmaf(w, v.y, a.y); a.z = fmaf(w, v.z, a.z); a.w = fmaf(w, v.w, a.w);
        }
        Dt<T>::store4(o + d, a);
    }
}

template <typename T>
__device__ __forceinline__ void prefill(unsigned char* smem, const float* qkv, int qkvStride, const T* kCache,
                                        const T* vCache, const int* blockTables, int maxBlocksPerSeq,
                                        const int* seqLens, const int* queryStartLoc, int numSeqs, int heads,
                                        int kvHeads, int headDim, int blockSize, float scale, T* out) {
    const int s = blockIdx.x, kvh = blockIdx.y;
    if (s >= numSeqs) return;
    const int qStart = queryStartLoc[s];
    const int qlen = queryStartLoc[s + 1] - qStart;
    const int q0 = blockIdx.z * kPrefillQTile;
    if (q0 >= qlen) return;
    const int seqLen = seqLens[s];
    Job j;
    j.qkv = qkv; j.qkvStride = qkvStride;
    j.tok0 = qStart + q0; j.nq = min(kPrefillQTile, qlen - q0);
    j.G = heads / kvHeads; j.head0 = kvh * j.G;
    j.pos0 = seqLen - qlen + q0;  // negative for padding sequences (seqLen 0): no keys, zeros out
    j.kBegin = 0; j.kEnd = seqLen;
    j.table = blockTables + (long long)s * maxBlocksPerSeq;
    j.blockSize = blockSize; j.kvHeads = kvHeads; j.kvh = kvh; j.heads = heads;
    j.qscale = scale * kLog2e;
    j.out = out;
    j.pOut = nullptr; j.pMax = nullptr; j.pSum = nullptr;
    j.maxPartitions = 0; j.seq = s; j.part = 0;
    dispatch<T, false>(smem, headDim, j, kCache, vCache);
}

}  // namespace attn

#define ATTN_KERNELS(T, SUF)                                                                                     \
    extern "C" __global__ void __launch_bounds__(128) paged_attention_decode_##SUF(                              \
        const float* qkv, int qkvStride, const T* kCache, const T* vCache, const int* blockTables,              \
        int maxBlocksPerSeq, const int* seqLens, int numSeqs, int heads, int kvHeads, int headDim,               \
        int blockSize, float scale, int partitionSize, int maxPartitions, float* partialOut,                     \
        float* partialMax, float* partialSum) {                                                                  \
        __shared__ __align__(16) unsigned char smem[attn::Smem<T, true>::BYTES];                                 \
        attn::decode<T>(smem, qkv, qkvStride, kCache, vCache, blockTables, maxBlocksPerSeq, seqLens, numSeqs,   \
                        heads, kvHeads, headDim, blockSize, scale, partitionSize, maxPartitions, partialOut,     \
                        partialMax, partialSum);                                                                 \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(128) paged_attention_reduce_##SUF(                              \
        const float* partialOut, const float* partialMax, const float* partialSum, const int* seqLens,          \
        int numSeqs, int heads, int headDim, int partitionSize, int maxPartitions, T* out) {                     \
        attn::reduce<T>(partialOut, partialMax, partialSum, seqLens, numSeqs, heads, headDim, partitionSize,    \
                        maxPartitions, out);                                                                     \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(128) paged_attention_prefill_##SUF(                             \
        const float* qkv, int qkvStride, const T* kCache, const T* vCache, const int* blockTables,              \
        int maxBlocksPerSeq, const int* seqLens, const int* queryStartLoc, int numSeqs, int heads,              \
        int kvHeads, int headDim, int blockSize, float scale, T* out) {                                          \
        __shared__ __align__(16) unsigned char smem[attn::Smem<T, false>::BYTES];                                \
        attn::prefill<T>(smem, qkv, qkvStride, kCache, vCache, blockTables, maxBlocksPerSeq, seqLens,           \
                         queryStartLoc, numSeqs, heads, kvHeads, headDim, blockSize, scale, out);                \
    }

ATTN_KERNELS(__nv_bfloat16, bf16)
ATTN_KERNELS(__half, f16)
ATTN_KERNELS(float, f32)

#undef ATTN_KERNELS
