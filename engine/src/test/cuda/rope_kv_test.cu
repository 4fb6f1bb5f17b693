// rope_kv_test.cu: rope_kv_write_T against a CPU rotate-half + paged KV write, all dtypes.
// Shapes: Minitron-8B (48 heads, 8 kv, headDim 128, rotaryHalf 32), tiny (12/2/16/4),
// head128 (3/1/128/32); n in {1, 7, 256}; padding rows (slot -1: no KV write; one of them also
// position -1: no rotation). Checks: q and k rotated in place (f32 1e-5 relative to a double
// reference; the pass-through dims and v bit-exact), k/v in the cache at the token's slot within
// 1 ulp of the reference rounded to T, and every other cache element still the NaN poison
// (no stray writes). Tables are built like cpu/Rope: fp32 inv_freq and angle, cos/sin rounded to T.
#include "rope_kv.cu"  // -I engine/src/main/cuda
#include "test_util.cuh"

template <typename T>
void launch(float* qkv, int stride, const int* pos, const int* slots, const float* cosT, const float* sinT, int half,
            T* kc, T* vc, int n, int heads, int kvHeads, int headDim) {
    if constexpr (std::is_same_v<T, __nv_bfloat16>)
        rope_kv_write_bf16<<<n, 128>>>(qkv, stride, pos, slots, cosT, sinT, half, kc, vc, n, heads, kvHeads, headDim);
    else if constexpr (std::is_same_v<T, __half>)
        rope_kv_write_f16<<<n, 128>>>(qkv, stride, pos, slots, cosT, sinT, half, kc, vc, n, heads, kvHeads, headDim);
    else
        rope_kv_write_f32<<<n, 128>>>(qkv, stride, pos, slots, cosT, sinT, half, kc, vc, n, heads, kvHeads, headDim);
}

template <typename T>
void run_case(const char* preset, int heads, int kvHeads, int headDim, int half, int n, unsigned seed) {
    const int maxPositions = 4096, blockSize = 16, numBlocks = (n + 40) / blockSize + 4;
    const int numSlots = numBlocks * blockSize;
    const int stride = (heads + 2 * kvHeads) * headDim;
    const int kvLen = kvHeads * headDim;
    std::mt19937 rng(seed);

    // tables exactly as cpu/Rope: inv_freq = 1/theta^(2i/rotaryDim) in fp32, angle fp32, rounded to T
    std::vector<float> cosT((size_t)maxPositions * half), sinT((size_t)maxPositions * half);
    for (int i = 0; i < half; ++i) {
        float invFreq = 1.0f / (float)std::pow(10000.0, (double)((float)(2 * i) / (2 * half)));
        for (int p = 0; p < maxPositions; ++p) {
            float angle = (float)p * invFreq;
            cosT[(size_t)p * half + i] = tu::round_to<T>((float)std::cos((double)angle));
            sinT[(size_t)p * half + i] = tu::round_to<T>((float)std::sin((double)angle));
        }
    }
    std::vector<float> qkv = tu::random_floats(rng, (size_t)n * stride, 0.0f, 2.0f);
    std::vector<int> pos(n), slots(n);
    std::uniform_int_distribution<int> pickPos(0, maxPositions - 1);
    std::vector<int> perm(numSlots);
    for (int i = 0; i < numSlots; ++i) perm[i] = i;
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int t = 0; t < n; ++t) {
        pos[t] = pickPos(rng);
        slots[t] = perm[t];  // distinct slots
    }
    pos[0] = n > 1 ? maxPositions - 1 : 0;
    if (n > 2) slots[n - 1] = -1;                 // padding row, valid position
    if (n > 3) { slots[n / 2] = -1; pos[n / 2] = -1; }  // padding row, no position

    tu::DevBuf<float> dQkv(qkv.size()), dCos(cosT.size()), dSin(sinT.size());
    tu::DevBuf<int> dPos(n), dSlots(n);
    tu::DevBuf<T> dK((size_t)numSlots * kvLen), dV((size_t)numSlots * kvLen);
    dQkv.upload(qkv);
    dCos.upload(cosT);
    dSin.upload(sinT);
    dPos.upload(pos);
    dSlots.upload(slots);
    dK.poison();
    dV.poison();
    launch<T>(dQkv.p, stride, dPos.p, dSlots.p, dCos.p, dSin.p, half, dK.p, dV.p, n, heads, kvHeads, headDim);
    TU_LAUNCHED();
    std::vector<float> got = dQkv.download();
    std::vector<T> kc = dK.download(), vc = dV.download();

    // reference: rotated row in double from the fp32 inputs and the (rounded) fp32 tables
    std::vector<double> ref(qkv.begin(), qkv.end());
    for (int t = 0; t < n; ++t) {
        if (pos[t] < 0) continue;
        for (int hd = 0; hd < heads + kvHeads; ++hd) {
            double* x = &ref[(size_t)t * stride + (size_t)hd * headDim];
            for (int j = 0; j < half; ++j) {
                double c = cosT[(size_t)pos[t] * half + j], s = sinT[(size_t)pos[t] * half + j];
                double a = x[j], b = x[j + half];
                x[j] = a * c - b * s;
                x[j + half] = b * c + a * s;
            }
        }
    }

    char shape[200];
    std::snprintf(shape, sizeof shape, "%s %s heads=%d kv=%d headDim=%d rotaryHalf=%d n=%d", tu::Dt<T>::name, preset,
                  heads, kvHeads, headDim, half, n);
    const std::string kernel = std::string("rope_kv_write_") + tu::Dt<T>::name;
    {
        tu::Compare cmp(kernel + "[qkv]", shape);
        for (size_t i = 0; i < got.size(); ++i) cmp.add<float>((long long)i, got[i], ref[i], 1e-5, 1.0);
        cmp.report();
    }
    {
        tu::Compare cmp(kernel + "[cache]", shape);
        std::vector<char> written(numSlots, 0);
        for (int t = 0; t < n; ++t) {
            if (slots[t] < 0) continue;
            written[slots[t]] = 1;
            for (int e = 0; e < kvLen; ++e) {
                size_t at = (size_t)slots[t] * kvLen + e;
                double wantK = ref[(size_t)t * stride + (size_t)heads * headDim + e];
                double wantV = qkv[(size_t)t * stride + (size_t)heads * headDim + kvLen + e];
                cmp.add<T>((long long)at, tu::Dt<T>::to_f(kc[at]), wantK, 1e-5, 1.0);
                cmp.add<T>((long long)at, tu::Dt<T>::to_f(vc[at]), wantV, 0.0, 1.0);
            }
        }
        bool clean = true;
        for (int s = 0; s < numSlots && clean; ++s) {
            if (written[s]) continue;
            clean = tu::is_nan_bits(&kc[(size_t)s * kvLen], kvLen * sizeof(T)) &&
                    tu::is_nan_bits(&vc[(size_t)s * kvLen], kvLen * sizeof(T));
        }
        cmp.require(clean, "a slot no token maps to was written");
        cmp.report();
    }
}

template <typename T> void run_all() {
    unsigned seed = 200;
    for (int n : {1, 7, 256}) run_case<T>("minitron8b", 48, 8, 128, 32, n, seed++);
    for (int n : {1, 7, 64}) run_case<T>("tiny", 12, 2, 16, 4, n, seed++);
    for (int n : {1, 7, 64}) run_case<T>("head128", 3, 1, 128, 32, n, seed++);
    run_case<T>("odd", 3, 1, 12, 3, 9, seed++);  // kvHeads*headDim % 8 != 0: scalar copy path
}

int main() {
    run_all<__nv_bfloat16>();
    run_all<__half>();
    run_all<float>();
    return tu::finish("rope_kv_test");
}
