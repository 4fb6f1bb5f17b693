// Sampling on the GPU: one logits row in, one token id (+ requested logprobs) out. Only token ids
// and logprobs cross to the host. NVRTC-compatible: no host headers.
//
// Kernel (extern "C"):
//   sample_rows(float* logits, int vocab, const SampleRowParams* params, const int* penalties,
//               float* penaltyRaw, int* out)
//   grid (numRows), block (SAMPLE_THREADS = 1024), no dynamic shared memory (static 44128 bytes,
//   under the 48 KB that needs no opt-in); 64 registers, no spills (sm_80, sm_90; the out-of-line
//   radix levels keep a 64-byte stack frame for their by-reference state).
//   - logits     fp32 [numRows, vocab], contiguous. Entries of penalized tokens are OVERWRITTEN in
//                place with their penalized value (the row is this step's scratch, as on the CPU).
//   - params     [numRows] SampleRowParams (layout below; DeviceSampler/SamplingRowsPacker pack it).
//   - penalties  int pairs {token, outputCount}: row r owns pairs [penaltyOffset, +penaltyCount)
//                (distinct tokens of its prompt+output, 0 <= token < vocab; outputCount = occurrences
//                in the output). Host-built; empty for rows without penalties.
//   - penaltyRaw float, one per penalty pair: the kernel saves each penalized token's raw logit
//                there (for the chosen token's raw logprob).
//   - out        int [numRows, SAMPLE_OUT_STRIDE = 42]: [0] token, [1] chosen raw logprob (float
//                bits; 0 when none asked), [2..22) top ids (-1 = none), [22..42) top logprobs (float
//                bits, -inf = none). Only the first numLogprobs entries are written.
//   vocab <= SAMPLE_MAX_TILES * SAMPLE_TILE = 524288.
//
// Per row, vLLM's order and dev.minitron.engine.sample.Sampler's semantics:
//   a. logprobs (numLogprobs >= 0): log-sum-exp and top-n of the RAW logits (before penalties;
//      ties -> lower id; NaN raw logits are ignored by the log-sum-exp and rank lowest);
//   b. penalties (repetition: >0 divided else multiplied; then -= freq*count + presence);
//   c. sanitize (NaN -> -inf, +inf -> FLT_MAX; nothing finite -> argmax);
//   d. greedy -> argmax, ties -> lowest index;
//   e. else weights w = expf((l - max) / T) and a survivor threshold on the order-preserving
//      uint32 key of the logit, found without sorting by radix select (3 levels: 11/11/10 bits,
//      shared-memory histograms, one pass over the row per level):
//        top-k: key >= key of the k-th largest logit (ties at the threshold are all kept, as vLLM);
//        top-p: among top-k, the largest key t with sum(w | key >= t) >= topP * sum(w | top-k);
//               masses are 2^-40 fixed-point uint64 (integer adds: order-independent, exact);
//        min-p: w >= minP (w of the most likely token is exactly 1).
//      Then the draw: inverse CDF with the host's uniform over the survivors in INDEX order (tile
//      sums, then a scan of the one tile that holds the crossing). The CPU sampler walks the same
//      survivors in descending-probability order, so the two pick different tokens for the same
//      uniform, by design; both are exact draws from the same distribution.
//      Passes over the row: greedy 1; temperature/min-p only 2; top-k (+top-p) 2 when at most
//      SAMPLE_CAND_CAP logits lie in the level-0 bins at or above the k-th largest's (they are
//      compacted to shared memory in index order and the search runs there), else 5 to 8; top-p
//      alone 3 when the logits in the level-0 bins at or above the cut's fit (same compaction),
//      else 6. A row with logprobs and penalties reads the raw row once more.
//   All reductions have a fixed order: a row's result depends on nothing but the row, its
//   parameters and its uniform.

#define SAMPLE_THREADS 1024
#define SAMPLE_WARPS (SAMPLE_THREADS / 32)
#define SAMPLE_MAX_LOGPROBS 20
#define SAMPLE_OUT_STRIDE 42
#define SAMPLE_TILE 1024
#define SAMPLE_MAX_TILES 512
#define SAMPLE_UNROLL 4
// Fast path for top-k rows: when at most SAMPLE_CAND_CAP logits fall in the level-0 bins at or
// above the k-th largest's, they are compacted once into shared memory (index order) and every
// later step runs there: 2 passes over the row instead of 5 to 8. 0 disables it.
#ifndef SAMPLE_COMPACT
#define SAMPLE_COMPACT 1
#endif
#define SAMPLE_CAND_CAP 2048

#define SAMPLE_FLAG_GREEDY 1
#define SAMPLE_FLAG_REPETITION 2
#define SAMPLE_FLAG_PRESENCE_FREQUENCY 4

// Little-endian, 72 bytes; SamplingRowsPacker writes exactly this (offsets in comments).
struct SampleRowParams {
    double uniform;            //  0  the row's draw in [0, 1)
    double topP;               //  8  1 = off
    double minP;               // 16  0 = off
    double presencePenalty;    // 24
    double frequencyPenalty;   // 32
    float temperature;         // 40  (float)params.temperature()
    float repetitionPenalty;   // 44  (float)params.repetitionPenalty()
    int topK;                  // 48  0 = off (the host maps <= 0 and >= vocab to 0)
    int flags;                 // 52  SAMPLE_FLAG_*
    int numLogprobs;           // 56  -1 = none, else 0..20
    int penaltyOffset;         // 60  first pair in `penalties`
    int penaltyCount;          // 64  pairs of this row
    int reserved;              // 68
};
static_assert(sizeof(SampleRowParams) == 72, "SampleRowParams must match SamplingRowsPacker (72 bytes)");

typedef unsigned long long u64;

#define SAMPLE_NEG_INF __int_as_float(0xff800000)
#define SAMPLE_POS_INF __int_as_float(0x7f800000)
#define SAMPLE_FLT_MAX 3.402823466e+38f
#define SAMPLE_FULL 0xffffffffu

struct SampleShared {
    // Histogram bin b = ((u64)histHi[b] << 32) + histLo[b]: 32-bit shared atomics only (64-bit
    // shared atomic adds may compile to CAS loops); carries out of the low word are counted exactly.
    unsigned histLo[2048];
    unsigned histHi[2048];
    u64 cand[SAMPLE_WARPS * SAMPLE_MAX_LOGPROBS];
    u64 top[SAMPLE_MAX_LOGPROBS];
    double tileSum[SAMPLE_MAX_TILES];
    u64 warpU64[SAMPLE_WARPS];
    u64 warpPrefix[SAMPLE_WARPS];
    float warpF0[SAMPLE_WARPS];
    float warpF1[SAMPLE_WARPS];
    int warpI[SAMPLE_WARPS];
    unsigned candKey[SAMPLE_CAND_CAP];    // compacted candidates, index order (fast path)
    int candIdx[SAMPLE_CAND_CAP];
    int groupCount[2][SAMPLE_UNROLL][SAMPLE_WARPS];
    u64 total;
    u64 above;
    unsigned digit;
    float maxValue;
    int maxIndex;
    int anyFinite;
    float lseMax;
    float lseSum;
    int chosenTile;
    double residual;
    int token;
    float chosenRaw;
};

__device__ __forceinline__ float sample_sanitize(float v);
__device__ __forceinline__ float sample_unkey(unsigned k);

/** The whole row as the survivor search's input: element j is logit j, sanitized on load. */
struct SampleRowSource {
    const float* row;
    int n;
    __device__ __forceinline__ float logit(int j) const { return sample_sanitize(row[j]); }
    __device__ __forceinline__ int index(int j) const { return j; }
};

/** The compacted candidates (shared memory, index order): key and token id. */
struct SampleCandSource {
    const unsigned* keys;
    const int* idx;
    int n;
    __device__ __forceinline__ float logit(int j) const { return sample_unkey(keys[j]); }
    __device__ __forceinline__ int index(int j) const { return idx[j]; }
};

__device__ __forceinline__ float sample_sanitize(float v) {
    if (v != v) {
        return SAMPLE_NEG_INF;
    }
    return v == SAMPLE_POS_INF ? SAMPLE_FLT_MAX : v;
}

/** Order-preserving map of a (non-NaN) float to uint32: a < b <=> key(a) < key(b). */
__device__ __forceinline__ unsigned sample_key(float v) {
    unsigned b = __float_as_uint(v);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ __forceinline__ float sample_unkey(unsigned k) {
    return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

/** Rank of a raw logit for top-n: larger is better; ties -> lower id; NaN lowest; 0 = empty slot. */
__device__ __forceinline__ u64 sample_rank(float v, int id) {
    unsigned k = (v != v) ? 0u : sample_key(v);
    return ((u64)k << 32) | (u64)(0xffffffffu - (unsigned)id);
}

/** Online log-sum-exp accumulation of one raw logit (NaN and -inf contribute nothing). */
__device__ __forceinline__ void sample_lse_add(float& m, float& s, float x) {
    if (!(x > SAMPLE_NEG_INF)) {
        return;
    }
    if (x > m) {
        s = s * expf(m - x) + 1.0f;
        m = x;
    } else {
        s += expf(x - m);
    }
}

/** Commutative merge of two (max, sum) pairs: xor-butterflies give every lane the same bits. */
__device__ __forceinline__ void sample_lse_merge(float& m, float& s, float m2, float s2) {
    float mn = fmaxf(m, m2);
    if (mn == SAMPLE_NEG_INF) {
        s = 0.0f;
        m = mn;
        return;
    }
    s = s * expf(m - mn) + s2 * expf(m2 - mn);
    m = mn;
}

/** Commutative argmax merge: larger value, or equal value and lower index. */
__device__ __forceinline__ void sample_argmax_merge(float& v, int& i, float v2, int i2) {
    if (v2 > v || (v2 == v && i2 < i)) {
        v = v2;
        i = i2;
    }
}

/**
 * Offers one candidate per lane to the warp's top-n list; slot j of the list lives in lane j's
 * `slot` (descending, 0 = empty). Warp-collective; n in [1, 20].
 */
__device__ __forceinline__ void sample_topn_offer(u64& slot, int n, u64 cand, int lane) {
    u64 thr = __shfl_sync(SAMPLE_FULL, slot, n - 1);
    unsigned mask = __ballot_sync(SAMPLE_FULL, cand > thr);
    while (mask) {
        int src = __ffs(mask) - 1;
        mask &= mask - 1;
        u64 c = __shfl_sync(SAMPLE_FULL, cand, src);
        u64 last = __shfl_sync(SAMPLE_FULL, slot, n - 1);
        if (c > last) {
            int pos = __popc(__ballot_sync(SAMPLE_FULL, lane < n && slot > c));
            u64 up = __shfl_up_sync(SAMPLE_FULL, slot, 1);
            if (lane < n) {
                if (lane == pos) {
                    slot = c;
                } else if (lane > pos) {
                    slot = up;
                }
            }
        }
    }
}

__device__ __forceinline__ u64 sample_warp_scan_u64(u64 v, int lane) {
    for (int o = 1; o < 32; o <<= 1) {
        u64 t = __shfl_up_sync(SAMPLE_FULL, v, o);
        if (lane >= o) {
            v += t;
        }
    }
    return v;
}

__device__ __forceinline__ double sample_warp_scan_f64(double v, int lane) {
    for (int o = 1; o < 32; o <<= 1) {
        double t = __shfl_up_sync(SAMPLE_FULL, v, o);
        if (lane >= o) {
            v += t;
        }
    }
    return v;
}

/**
 * One pass over the row. doEff: max/argmax/any-finite of the sanitized logits. doRaw: log-sum-exp
 * and top-n of the raw logits (n = numLogprobs). Results in sh (maxValue, maxIndex, anyFinite,
 * lseMax, lseSum, top[]).
 */
__device__ void sample_stats_pass(const float* row, int vocab, bool doEff, bool doRaw, int n, bool doHist,
                                  SampleShared& sh) {
    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    if (doHist) {   // level-0 (top 11 bits) count histogram of the sanitized keys, for top-k
        for (int b = tid; b < 2048; b += SAMPLE_THREADS) {
            sh.histLo[b] = 0;
            sh.histHi[b] = 0;
        }
        __syncthreads();
    }
    float bestV = SAMPLE_NEG_INF;
    int bestI = 0x7fffffff;
    int any = 0;
    float lm = SAMPLE_NEG_INF;
    float ls = 0.0f;
    u64 slot = 0;
    const bool doTop = doRaw && n > 0;
    for (int base = 0; base < vocab; base += SAMPLE_THREADS * SAMPLE_UNROLL) {
        float v[SAMPLE_UNROLL];
#pragma unroll
        for (int u = 0; u < SAMPLE_UNROLL; u++) {
            int i = base + u * SAMPLE_THREADS + tid;
            v[u] = i < vocab ? row[i] : 0.0f;
        }
#pragma unroll
        for (int u = 0; u < SAMPLE_UNROLL; u++) {
            int i = base + u * SAMPLE_THREADS + tid;
            bool valid = i < vocab;
            if (doEff && valid) {
                float s = sample_sanitize(v[u]);
                if (s > bestV) {
                    bestV = s;
                    bestI = i;
                }
                any |= s != SAMPLE_NEG_INF;
                if (doHist) {
                    atomicAdd(&sh.histLo[sample_key(s) >> 21], 1u);
                }
            }
            if (doRaw && valid) {
                sample_lse_add(lm, ls, v[u]);
            }
            if (doTop) {
                sample_topn_offer(slot, n, valid ? sample_rank(v[u], i) : 0ull, lane);
            }
        }
    }
    // Fixed-order block reductions: xor butterflies within warps, then warp 0 over the partials.
    for (int o = 16; o > 0; o >>= 1) {
        float v2 = __shfl_xor_sync(SAMPLE_FULL, bestV, o);
        int i2 = __shfl_xor_sync(SAMPLE_FULL, bestI, o);
        sample_argmax_merge(bestV, bestI, v2, i2);
        float m2 = __shfl_xor_sync(SAMPLE_FULL, lm, o);
        float s2 = __shfl_xor_sync(SAMPLE_FULL, ls, o);
        sample_lse_merge(lm, ls, m2, s2);
    }
    any = __syncthreads_or(any);
    if (lane == 0) {
        sh.warpF0[warp] = bestV;
        sh.warpI[warp] = bestI;
        sh.warpU64[warp] = ((u64)__float_as_uint(lm) << 32) | __float_as_uint(ls);
    }
    if (doTop && lane < n) {
        sh.cand[warp * SAMPLE_MAX_LOGPROBS + lane] = slot;
    }
    if (doTop && tid < SAMPLE_MAX_LOGPROBS) {   // only a pass that computes top-n may reset it
        sh.top[tid] = 0;
    }
    __syncthreads();
    if (warp == 0) {
        bestV = sh.warpF0[lane];
        bestI = sh.warpI[lane];
        u64 p = sh.warpU64[lane];
        lm = __uint_as_float((unsigned)(p >> 32));
        ls = __uint_as_float((unsigned)p);
        for (int o = 16; o > 0; o >>= 1) {
            float v2 = __shfl_xor_sync(SAMPLE_FULL, bestV, o);
            int i2 = __shfl_xor_sync(SAMPLE_FULL, bestI, o);
            sample_argmax_merge(bestV, bestI, v2, i2);
            float m2 = __shfl_xor_sync(SAMPLE_FULL, lm, o);
            float s2 = __shfl_xor_sync(SAMPLE_FULL, ls, o);
            sample_lse_merge(lm, ls, m2, s2);
        }
        if (lane == 0) {
            if (doEff) {
                sh.maxValue = bestV;
                sh.maxIndex = bestI == 0x7fffffff ? 0 : bestI;
                sh.anyFinite = any;
            }
            if (doRaw) {
                sh.lseMax = lm;
                sh.lseSum = ls;
            }
        }
    }
    if (doTop) {
        // Merge the warps' lists: each candidate's place is the number of better candidates.
        int total = SAMPLE_WARPS * n;
        for (int c = tid; c < total; c += SAMPLE_THREADS) {
            u64 mine = sh.cand[(c / n) * SAMPLE_MAX_LOGPROBS + c % n];
            if (mine != 0) {
                int pos = 0;
                for (int w = 0; w < SAMPLE_WARPS; w++) {
                    for (int j = 0; j < n; j++) {
                        pos += sh.cand[w * SAMPLE_MAX_LOGPROBS + j] > mine;
                    }
                }
                if (pos < n) {
                    sh.top[pos] = mine;
                }
            }
        }
    }
    __syncthreads();
}

__device__ __forceinline__ u64 sample_bin(const SampleShared& sh, int b) {
    return ((u64)sh.histHi[b] << 32) + sh.histLo[b];
}

/**
 * Finds the bin where the suffix sum (from the top bin down) first reaches the target.
 * computeTarget: the target is ceil(topP * total) (top-p's first level). Results: sh.digit (bin),
 * sh.above (sum of the bins above it), sh.total. Returns the target used.
 */
__device__ u64 sample_suffix_find(SampleShared& sh, int nbins, u64 target, bool computeTarget, double topP) {
    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int per = nbins / SAMPLE_THREADS;   // 1 or 2
    const int lo = (SAMPLE_THREADS - 1 - tid) * per;   // thread 0 owns the top bins
    u64 local = 0;
    for (int b = 0; b < per; b++) {
        local += sample_bin(sh, lo + b);
    }
    u64 incl = sample_warp_scan_u64(local, lane);
    if (lane == 31) {
        sh.warpU64[warp] = incl;
    }
    if (tid == 0) {
        sh.digit = 0;
        sh.above = 0;
    }
    __syncthreads();
    if (warp == 0) {
        u64 v = sh.warpU64[lane];
        u64 s = sample_warp_scan_u64(v, lane);
        sh.warpPrefix[lane] = s - v;
        if (lane == 31) {
            sh.total = s;
        }
    }
    __syncthreads();
    u64 tgt = target;
    if (computeTarget) {
        double t = ceil(topP * (double)sh.total);
        tgt = t < 1.0 ? 1ull : (u64)t;
    }
    u64 acc = sh.warpPrefix[warp] + incl - local;
    for (int b = lo + per - 1; b >= lo; b--) {
        u64 h = sample_bin(sh, b);
        if (acc < tgt && acc + h >= tgt) {
            sh.digit = (unsigned)b;
            sh.above = acc;
        }
        acc += h;
    }
    __syncthreads();
    return tgt;
}

/**
 * Radix select over the sanitized logits' keys, from the top, levels [firstLevel, lastLevel] of
 * 0..2 (prefix and target carry the state between calls). massMode false: the key of the
 * target-th largest logit (count histograms). massMode true: the largest key t with
 * sum(w | tk <= key, key >= t) >= target, w in 2^-40 fixed point; target 0 at level 0 means
 * ceil(topP * sum(w | key >= tk)). On return prefix holds the digits found so far and target what
 * is left of it below them.
 */
template <class Src>
__device__ __noinline__ void sample_radix_levels(const Src& src, bool massMode, u64& target, double topP, unsigned tk,
                                    float maxLogit, float temperature, int firstLevel, int lastLevel,
                                    unsigned& prefix, SampleShared& sh) {
    const int tid = threadIdx.x;
    const int vocab = src.n;
    for (int level = firstLevel; level <= lastLevel; level++) {
        const int shift = level == 0 ? 21 : (level == 1 ? 10 : 0);
        const int nbits = level < 2 ? 11 : 10;
        const int nbins = 1 << nbits;
        const unsigned hiMask = level == 0 ? 0u : (0xffffffffu << (shift + nbits));
        for (int b = tid; b < nbins; b += SAMPLE_THREADS) {
            sh.histLo[b] = 0;
            sh.histHi[b] = 0;
        }
        __syncthreads();
        for (int base = 0; base < vocab; base += SAMPLE_THREADS * SAMPLE_UNROLL) {
            float v[SAMPLE_UNROLL];
#pragma unroll
            for (int u = 0; u < SAMPLE_UNROLL; u++) {
                int i = base + u * SAMPLE_THREADS + tid;
                v[u] = i < vocab ? src.logit(i) : 0.0f;
            }
#pragma unroll
            for (int u = 0; u < SAMPLE_UNROLL; u++) {
                int i = base + u * SAMPLE_THREADS + tid;
                float l = v[u];
                unsigned key = sample_key(l);
                if (i < vocab && (key & hiMask) == prefix && key >= tk) {
                    unsigned d = (key >> shift) & (unsigned)(nbins - 1);
                    if (massMode) {
                        float w = expf((l - maxLogit) / temperature);
                        u64 fx = __float2ull_rz(w * 1099511627776.0f);   // 2^40
                        if (fx != 0) {
                            // Exact 64-bit sum from 32-bit atomics: an add wraps the low word iff
                            // old + lo overflows, and each wrap is seen by exactly one add.
                            unsigned lo = (unsigned)fx;
                            unsigned hi = (unsigned)(fx >> 32);
                            unsigned old = atomicAdd(&sh.histLo[d], lo);
                            if (old + lo < old) {
                                hi++;
                            }
                            if (hi != 0) {
                                atomicAdd(&sh.histHi[d], hi);
                            }
                        }
                    } else {
                        atomicAdd(&sh.histLo[d], 1u);
                    }
                }
            }
        }
        __syncthreads();
        target = sample_suffix_find(sh, nbins, target, massMode && level == 0 && target == 0, topP);
        target -= sh.above;
        prefix |= sh.digit << shift;
        __syncthreads();
    }
}

/** All three levels: the threshold key. */
template <class Src>
__device__ unsigned sample_radix_select(const Src& src, bool massMode, u64 target, double topP, unsigned tk,
                                        float maxLogit, float temperature, SampleShared& sh) {
    unsigned prefix = 0;
    sample_radix_levels(src, massMode, target, topP, tk, maxLogit, temperature, 0, 2, prefix, sh);
    return prefix;
}

/** A survivor's weight, 0 for everything else. */
__device__ __forceinline__ float sample_weight(float l, unsigned threshold, float maxLogit, float temperature,
                                               double minP) {
    if (sample_key(l) < threshold) {
        return 0.0f;
    }
    float w = expf((l - maxLogit) / temperature);
    return (w > 0.0f && (double)w >= minP) ? w : 0.0f;
}

/** Inverse-CDF draw over the survivors in index order; returns the token (valid in thread 0). */
template <class Src>
__device__ int sample_draw(const Src& src, unsigned threshold, float maxLogit, float temperature,
                           double minP, double uniform, SampleShared& sh) {
    const int vocab = src.n;
    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int numTiles = (vocab + SAMPLE_TILE - 1) / SAMPLE_TILE;
    for (int t = warp; t < numTiles; t += SAMPLE_WARPS) {
        float s = 0.0f;
        const int tileBase = t * SAMPLE_TILE;
        for (int j0 = 0; j0 < SAMPLE_TILE / 32; j0 += 8) {
            float v[8];
#pragma unroll
            for (int j = 0; j < 8; j++) {
                int i = tileBase + (j0 + j) * 32 + lane;
                v[j] = i < vocab ? src.logit(i) : SAMPLE_NEG_INF;
            }
#pragma unroll
            for (int j = 0; j < 8; j++) {
                s += sample_weight(v[j], threshold, maxLogit, temperature, minP);
            }
        }
        for (int o = 16; o > 0; o >>= 1) {
            s += __shfl_xor_sync(SAMPLE_FULL, s, o);
        }
        if (lane == 0) {
            sh.tileSum[t] = (double)s;
        }
    }
    __syncthreads();
    if (tid == 0) {
        double total = 0.0;
        for (int t = 0; t < numTiles; t++) {
            total += sh.tileSum[t];
        }
        double target = uniform * total;
        double acc = 0.0;
        int chosen = -1;
        int lastPositive = -1;
        double residual = 0.0;
        for (int t = 0; t < numTiles; t++) {
            double ts = sh.tileSum[t];
            if (ts > 0.0) {
                lastPositive = t;
                if (acc + ts > target) {
                    chosen = t;
                    residual = target - acc;
                    break;
                }
            }
            acc += ts;
        }
        if (chosen < 0) {   // rounding put the target past the end: the last survivor
            chosen = lastPositive;
            residual = SAMPLE_POS_INF;
        }
        sh.chosenTile = chosen;
        sh.residual = residual;
    }
    __syncthreads();
    int token = -1;
    if (warp == 0 && sh.chosenTile >= 0) {
        const int tileBase = sh.chosenTile * SAMPLE_TILE;
        const double residual = sh.residual;
        double carry = 0.0;
        int last = -1;
        for (int j = 0; j < SAMPLE_TILE / 32; j++) {
            int i = tileBase + j * 32 + lane;
            float w = i < vocab ? sample_weight(src.logit(i), threshold, maxLogit, temperature, minP) : 0.0f;
            double incl = sample_warp_scan_f64((double)w, lane) + carry;
            unsigned hit = __ballot_sync(SAMPLE_FULL, w > 0.0f && incl > residual);
            if (hit) {
                token = src.index(tileBase + j * 32 + __ffs(hit) - 1);
                break;
            }
            unsigned pos = __ballot_sync(SAMPLE_FULL, w > 0.0f);
            if (pos) {
                last = src.index(tileBase + j * 32 + 31 - __clz(pos));
            }
            carry = __shfl_sync(SAMPLE_FULL, incl, 31);
        }
        if (token < 0) {
            token = last;
        }
    }
    return token;
}

/**
 * Top-k, top-p and min-p over src, then the draw (token valid in thread 0). Top-p's search starts
 * at level pFirstLevel with pPrefix and pTarget (0, 0, 0: from scratch).
 */
template <class Src>
__device__ int sample_survivors_and_draw(const Src& src, const SampleRowParams& p, float maxLogit, int pFirstLevel,
                                         unsigned pPrefix, u64 pTarget, SampleShared& sh) {
    const float temperature = p.temperature;
    unsigned tk = 0;
    if (p.topK > 0 && p.topK < src.n) {
        tk = sample_radix_select(src, false, (u64)p.topK, 1.0, 0u, maxLogit, temperature, sh);
    }
    unsigned threshold = tk;
    if (p.topP < 1.0) {
        unsigned tp = pPrefix;
        sample_radix_levels(src, true, pTarget, p.topP, tk, maxLogit, temperature, pFirstLevel, 2, tp, sh);
        threshold = tp > threshold ? tp : threshold;
    }
    return sample_draw(src, threshold, maxLogit, temperature, p.minP, p.uniform, sh);
}

/**
 * Copies the sanitized keys >= lowKey and their ids into sh.cand* in index order (a block-wide
 * ordered compaction: ballots, per-warp counts, one barrier per SAMPLE_UNROLL x 1024 elements).
 * Returns how many there are (the caller guarantees at most SAMPLE_CAND_CAP).
 */
__device__ int sample_compact(const float* row, int vocab, unsigned lowKey, SampleShared& sh) {
    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const unsigned below = (1u << lane) - 1u;
    int count = 0;
    int buf = 0;
    for (int base = 0; base < vocab; base += SAMPLE_THREADS * SAMPLE_UNROLL) {
        unsigned key[SAMPLE_UNROLL];
        unsigned mask[SAMPLE_UNROLL];
#pragma unroll
        for (int u = 0; u < SAMPLE_UNROLL; u++) {
            int i = base + u * SAMPLE_THREADS + tid;
            key[u] = i < vocab ? sample_key(sample_sanitize(row[i])) : 0u;
        }
#pragma unroll
        for (int u = 0; u < SAMPLE_UNROLL; u++) {
            int i = base + u * SAMPLE_THREADS + tid;
            mask[u] = __ballot_sync(SAMPLE_FULL, i < vocab && key[u] >= lowKey);
            if (lane == 0) {
                sh.groupCount[buf][u][warp] = __popc(mask[u]);
            }
        }
        __syncthreads();   // double-buffered counts: one barrier per group
        int offset = count;
        int total = 0;
#pragma unroll
        for (int u = 0; u < SAMPLE_UNROLL; u++) {
            int before = 0;
            int all = 0;
            for (int w = 0; w < SAMPLE_WARPS; w++) {
                int c = sh.groupCount[buf][u][w];
                before += w < warp ? c : 0;
                all += c;
            }
            if (mask[u] & (1u << lane)) {
                int pos = offset + total + before + __popc(mask[u] & below);
                if (pos < SAMPLE_CAND_CAP) {
                    sh.candKey[pos] = key[u];
                    sh.candIdx[pos] = base + u * SAMPLE_THREADS + tid;
                }
            }
            total += all;
        }
        count += total;
        buf ^= 1;
    }
    __syncthreads();
    return count;
}

extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS, 1)
sample_rows(float* logits, int vocab, const SampleRowParams* params, const int* penalties, float* penaltyRaw,
            int* out) {
    __shared__ SampleShared sh;
    const int tid = threadIdx.x;
    const int r = blockIdx.x;
    float* row = logits + (long long)r * vocab;
    const SampleRowParams& p = params[r];   // read through the (cached) global copy: no stack frame
    const int n = p.numLogprobs;
    const bool wantLogprobs = n >= 0;
    const bool hasPenalties = p.penaltyCount > 0
            && (p.flags & (SAMPLE_FLAG_REPETITION | SAMPLE_FLAG_PRESENCE_FREQUENCY)) != 0;

    // a. raw statistics first when penalties will overwrite the row.
    if (wantLogprobs && hasPenalties) {
        sample_stats_pass(row, vocab, false, true, n, false, sh);
    }
    // b. penalties, in place; the raw values are kept for the chosen token's logprob.
    if (hasPenalties) {
        for (int e = tid; e < p.penaltyCount; e += SAMPLE_THREADS) {
            const int k = p.penaltyOffset + e;
            const int token = penalties[2 * k];
            const int count = penalties[2 * k + 1];
            float v = row[token];
            if (wantLogprobs) {
                penaltyRaw[k] = v;
            }
            if (p.flags & SAMPLE_FLAG_REPETITION) {
                v = v > 0.0f ? v / p.repetitionPenalty : v * p.repetitionPenalty;
            }
            if ((p.flags & SAMPLE_FLAG_PRESENCE_FREQUENCY) && count > 0) {
                v -= (float)(p.frequencyPenalty * (double)count + p.presencePenalty);
            }
            row[token] = v;
        }
        __syncthreads();
    }
    // c, d. max / argmax of the sanitized logits (+ the raw statistics when the row is still raw).
    const bool greedy = (p.flags & SAMPLE_FLAG_GREEDY) != 0;
    const bool topK = p.topK > 0 && p.topK < vocab;
    sample_stats_pass(row, vocab, true, wantLogprobs && !hasPenalties, n, SAMPLE_COMPACT && topK && !greedy, sh);
    const float maxLogit = sh.maxValue;
    int token;
    if (!sh.anyFinite || greedy) {
        token = sh.maxIndex;
    } else {
        // e. survivors and the draw.
        bool compacted = false;
        int numCand = 0;
        int pFirstLevel = 0;    // where the row path's top-p search starts
        unsigned pPrefix = 0;
        u64 pTarget = 0;
        u64 candTarget = 0;     // the candidate path's top-p target (0: from the candidates' mass)
        SampleRowSource rowSrc{row, vocab};
        if (SAMPLE_COMPACT && topK) {
            sample_suffix_find(sh, 2048, (u64)p.topK, false, 1.0);
            const u64 atOrAbove = sh.above + sample_bin(sh, (int)sh.digit);
            if (atOrAbove <= SAMPLE_CAND_CAP) {
                numCand = sample_compact(row, vocab, sh.digit << 21, sh);
                compacted = numCand <= SAMPLE_CAND_CAP;   // always, as the histogram counted them
            }
            __syncthreads();
        } else if (SAMPLE_COMPACT && p.topP < 1.0) {
            // Top-p alone: its level-0 mass histogram gives the bin of the cut; if the logits in
            // that bin and above fit, finish on them (3 passes), else go on from level 1 (6).
            sample_radix_levels(rowSrc, true, pTarget, p.topP, 0u, maxLogit, p.temperature, 0, 0, pPrefix, sh);
            candTarget = pTarget + sh.above;   // the absolute target: all mass above the cut is in the candidates
            pFirstLevel = 1;
            numCand = sample_compact(row, vocab, pPrefix, sh);
            compacted = numCand <= SAMPLE_CAND_CAP;
        }
        if (compacted) {
            SampleCandSource src{sh.candKey, sh.candIdx, numCand};
            token = sample_survivors_and_draw(src, p, maxLogit, 0, 0u, candTarget, sh);
        } else {
            token = sample_survivors_and_draw(rowSrc, p, maxLogit, pFirstLevel, pPrefix, pTarget, sh);
        }
        if (tid == 0) {
            sh.token = token < 0 ? sh.maxIndex : token;
        }
        __syncthreads();
        token = sh.token;
    }
    // f. outputs.
    int* o = out + (long long)r * SAMPLE_OUT_STRIDE;
    if (!wantLogprobs) {
        if (tid == 0) {
            o[0] = token;
            o[1] = 0;
        }
        return;
    }
    if (tid == 0) {
        sh.chosenRaw = row[token];
    }
    __syncthreads();
    if (hasPenalties) {
        for (int e = tid; e < p.penaltyCount; e += SAMPLE_THREADS) {
            const int k = p.penaltyOffset + e;
            if (penalties[2 * k] == token) {
                sh.chosenRaw = penaltyRaw[k];
            }
        }
        __syncthreads();
    }
    const double lse = (double)sh.lseMax + log((double)sh.lseSum);
    if (tid == 0) {
        o[0] = token;
        o[1] = __float_as_int((float)((double)sh.chosenRaw - lse));
    }
    if (tid < n) {
        u64 rank = sh.top[tid];
        if (rank == 0) {
            o[2 + tid] = -1;
            o[2 + SAMPLE_MAX_LOGPROBS + tid] = __float_as_int(SAMPLE_NEG_INF);
        } else {
            int id = (int)(0xffffffffu - (unsigned)(rank & 0xffffffffull));
            float raw = sample_unkey((unsigned)(rank >> 32));
            o[2 + tid] = id;
            o[2 + SAMPLE_MAX_LOGPROBS + tid] = __float_as_int((float)((double)raw - lse));
        }
    }
}
