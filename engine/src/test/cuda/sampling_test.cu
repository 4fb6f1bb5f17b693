// On-GPU harness for sample_rows (sampling.cu): random rows, many parameter combinations, compared
// token for token with a CPU reference that mirrors DeviceSamplerReference (same survivors, same
// index-order inverse CDF, double sums); a mismatch is allowed only where the reference's decision
// was within rounding of a boundary ("fragile"). Logprobs within 1e-4. Prints PASS/FAIL lines and
// a timing of 256 rows x 256000. Exit code = number of failures.
//   nvcc -O2 -std=c++17 -arch=sm_90 -I engine/src/main/cuda engine/src/test/cuda/sampling_test.cu -o /tmp/sampling_test
// Add -DSAMPLE_COMPACT=0 for a second build that checks the all-passes path of top-k rows too.
#include "sampling.cu"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#define CHECK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
    printf("FAIL cuda %s at %s:%d: %s\n", #x, __FILE__, __LINE__, cudaGetErrorString(e_)); exit(99); } } while (0)

struct Row {
    SampleRowParams p;
    std::vector<int> pairs;   // token, outputCount
};

static unsigned hkey(float v) {
    unsigned b;
    memcpy(&b, &v, 4);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

struct Ref {
    int token;
    bool fragile;
    double chosenLogprob;
    int topIds[20];
    double topLps[20];
};

static Ref reference(const float* raw, int vocab, const Row& row) {
    const SampleRowParams& p = row.p;
    Ref out{};
    std::vector<float> l(raw, raw + vocab);
    for (size_t k = 0; k < row.pairs.size() / 2; k++) {
        int t = row.pairs[2 * k], c = row.pairs[2 * k + 1];
        float v = l[t];
        if (p.flags & SAMPLE_FLAG_REPETITION) v = v > 0 ? v / p.repetitionPenalty : v * p.repetitionPenalty;
        if ((p.flags & SAMPLE_FLAG_PRESENCE_FREQUENCY) && c > 0) v -= (float)(p.frequencyPenalty * c + p.presencePenalty);
        l[t] = v;
    }
    bool any = false;
    for (auto& v : l) {
        if (std::isnan(v)) v = -INFINITY;
        else if (v == INFINITY) v = 3.402823466e+38f;
        any |= v != -INFINITY;
    }
    int argmax = 0;
    float best = -INFINITY;
    for (int i = 0; i < vocab; i++) if (l[i] > best) { best = l[i]; argmax = i; }
    if (!any || (p.flags & SAMPLE_FLAG_GREEDY)) {
        out.token = argmax;
    } else {
        float m = best, T = p.temperature;
        std::vector<float> w(vocab);
        std::vector<std::pair<unsigned, int>> desc(vocab);
        for (int i = 0; i < vocab; i++) {
            w[i] = (float)std::exp((double)((l[i] - m) / T));
            desc[i] = {hkey(l[i]), i};
        }
        std::sort(desc.begin(), desc.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
        unsigned tk = 0, thr = 0;
        if (p.topK > 0 && p.topK < vocab) { tk = desc[p.topK - 1].first; thr = tk; }
        if (p.topP < 1) {
            double massK = 0;
            for (auto& d : desc) if (d.first >= tk) massK += w[d.second];
            double target = p.topP * massK, cum = 0;
            for (auto& d : desc) {
                if (d.first < tk) break;
                double before = cum;
                cum += w[d.second];
                if (cum >= target) {
                    thr = std::max(thr, d.first);
                    out.fragile |= std::fabs(cum - target) <= 1e-5 * massK || std::fabs(before - target) <= 1e-5 * massK;
                    break;
                }
            }
        }
        std::vector<double> ws(vocab, 0.0);
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            if (hkey(l[i]) >= thr && w[i] > 0) {
                if (p.minP > 0 && std::fabs(w[i] - p.minP) <= 1e-5 * p.minP) out.fragile = true;
                if (w[i] >= p.minP) { ws[i] = w[i]; total += w[i]; }
            }
        }
        double target = p.uniform * total, cum = 0;
        int token = -1, last = -1;
        for (int i = 0; i < vocab; i++) {
            if (ws[i] > 0) {
                last = i;
                double before = cum;
                cum += ws[i];
                if (cum > target) {
                    token = i;
                    out.fragile |= cum - target <= 1e-6 * total || target - before <= 1e-6 * total;
                    break;
                }
            }
        }
        out.token = token < 0 ? last : token;
    }
    if (p.numLogprobs >= 0) {
        double mx = -INFINITY;
        for (int i = 0; i < vocab; i++) mx = std::max(mx, (double)raw[i]);
        double s = 0;
        for (int i = 0; i < vocab; i++) s += std::exp(raw[i] - mx);
        double lse = mx + std::log(s);
        out.chosenLogprob = raw[out.token] - lse;
        std::vector<int> ids(vocab);
        for (int i = 0; i < vocab; i++) ids[i] = i;
        int n = std::min(p.numLogprobs, vocab);
        std::partial_sort(ids.begin(), ids.begin() + n, ids.end(),
                          [&](int a, int b) { return raw[a] > raw[b] || (raw[a] == raw[b] && a < b); });
        for (int j = 0; j < p.numLogprobs; j++) {
            out.topIds[j] = j < n ? ids[j] : -1;
            out.topLps[j] = j < n ? raw[ids[j]] - lse : -INFINITY;
        }
    }
    return out;
}

static SampleRowParams combo(int c, int vocab, double u) {
    SampleRowParams p{};
    p.uniform = u; p.topP = 1; p.minP = 0; p.temperature = 1; p.repetitionPenalty = 1; p.numLogprobs = -1;
    auto k = [&](int v) { return v > 0 && v < vocab ? v : 0; };
    switch (c % 16) {
        case 0: p.flags = SAMPLE_FLAG_GREEDY; break;
        case 1: break;
        case 2: p.temperature = 0.8f; p.topK = k(50); break;
        case 3: p.topP = 0.9; break;
        case 4: p.temperature = 0.7f; p.topK = k(40); p.topP = 0.95; p.minP = 0.02; break;
        case 5: p.temperature = 1.2f; p.minP = 0.1; break;
        case 6: p.flags = SAMPLE_FLAG_GREEDY | SAMPLE_FLAG_REPETITION | SAMPLE_FLAG_PRESENCE_FREQUENCY;
                p.repetitionPenalty = 1.3f; p.presencePenalty = 0.5; p.frequencyPenalty = 0.3; p.numLogprobs = 5; break;
        case 7: p.temperature = 0.9f; p.topK = k(20); p.topP = 0.8; p.flags = SAMPLE_FLAG_REPETITION | SAMPLE_FLAG_PRESENCE_FREQUENCY;
                p.repetitionPenalty = 1.2f; p.presencePenalty = -0.5; p.frequencyPenalty = 0.7; p.numLogprobs = 20; break;
        case 8: p.numLogprobs = 0; break;
        case 9: p.flags = SAMPLE_FLAG_GREEDY; p.topK = k(10); break;
        case 10: p.temperature = 2; p.topP = 0.5; p.numLogprobs = 3; break;
        case 11: p.topK = k(vocab - 1); break;
        case 12: p.temperature = 0.5f; p.topK = k(1); p.numLogprobs = 1; break;
        case 13: p.topK = k(1000); p.topP = 0.9; p.flags = SAMPLE_FLAG_REPETITION; p.repetitionPenalty = 0.8f; break;
        case 14: p.temperature = 1.5f; p.topP = 0.3; p.minP = 0.3; p.flags = SAMPLE_FLAG_PRESENCE_FREQUENCY;
                 p.frequencyPenalty = -1; p.numLogprobs = 2; break;
        default: p.temperature = 0.6f; p.topP = 0.99; p.flags = SAMPLE_FLAG_PRESENCE_FREQUENCY; p.presencePenalty = 2; break;
    }
    return p;
}

struct Gpu {
    float* logits = nullptr; SampleRowParams* params = nullptr; int* pairs = nullptr; float* praw = nullptr; int* out = nullptr;
};

static std::vector<int> launch(Gpu& g, const std::vector<float>& logits, std::vector<Row>& rows, int vocab, float* ms) {
    int n = (int)rows.size();
    std::vector<SampleRowParams> ps(n);
    std::vector<int> pairs;
    for (int i = 0; i < n; i++) {
        rows[i].p.penaltyOffset = (int)pairs.size() / 2;
        rows[i].p.penaltyCount = (int)rows[i].pairs.size() / 2;
        pairs.insert(pairs.end(), rows[i].pairs.begin(), rows[i].pairs.end());
        ps[i] = rows[i].p;
    }
    pairs.push_back(0); pairs.push_back(0);
    CHECK(cudaMalloc(&g.logits, logits.size() * 4));
    CHECK(cudaMalloc(&g.params, n * sizeof(SampleRowParams)));
    CHECK(cudaMalloc(&g.pairs, pairs.size() * 4));
    CHECK(cudaMalloc(&g.praw, pairs.size() * 2));
    CHECK(cudaMalloc(&g.out, (size_t)n * SAMPLE_OUT_STRIDE * 4));
    CHECK(cudaMemcpy(g.logits, logits.data(), logits.size() * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(g.params, ps.data(), n * sizeof(SampleRowParams), cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(g.pairs, pairs.data(), pairs.size() * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemset(g.out, 0xff, (size_t)n * SAMPLE_OUT_STRIDE * 4));
#ifdef SIMT_EMULATED
    (void)ms;
    simt_launch(n, SAMPLE_THREADS, [&] { sample_rows(g.logits, vocab, g.params, g.pairs, g.praw, g.out); });
#else
    cudaEvent_t a, b;
    CHECK(cudaEventCreate(&a)); CHECK(cudaEventCreate(&b));
    CHECK(cudaEventRecord(a));
    sample_rows<<<n, SAMPLE_THREADS>>>(g.logits, vocab, g.params, g.pairs, g.praw, g.out);
    CHECK(cudaGetLastError());
    CHECK(cudaEventRecord(b));
    CHECK(cudaDeviceSynchronize());
    if (ms) CHECK(cudaEventElapsedTime(ms, a, b));
#endif
    std::vector<int> out((size_t)n * SAMPLE_OUT_STRIDE);
    CHECK(cudaMemcpy(out.data(), g.out, out.size() * 4, cudaMemcpyDeviceToHost));
    CHECK(cudaFree(g.logits)); CHECK(cudaFree(g.params)); CHECK(cudaFree(g.pairs)); CHECK(cudaFree(g.praw)); CHECK(cudaFree(g.out));
    return out;
}

static float asFloat(int bits) { float f; memcpy(&f, &bits, 4); return f; }

// flat: low-temperature-spread rows with top-p alone, so the nucleus is too big to compact.
static int checkShape(int numRows, int vocab, unsigned seed, bool flat = false) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0, 1);
    std::uniform_real_distribution<double> unif(0, 1);
    std::vector<float> logits((size_t)numRows * vocab);
    std::vector<Row> rows(numRows);
    for (int i = 0; i < numRows; i++) {
        float scale = flat ? 0.2f + 0.8f * (float)unif(rng) : 0.5f + 6 * (float)unif(rng);
        for (int j = 0; j < vocab; j++) logits[(size_t)i * vocab + j] = normal(rng) * scale;
        rows[i].p = combo(flat ? (i % 2 ? 3 : 15) : i, vocab, unif(rng));
        if (rows[i].p.flags & (SAMPLE_FLAG_REPETITION | SAMPLE_FLAG_PRESENCE_FREQUENCY)) {
            int distinct = 1 + (int)(rng() % std::min(vocab, 300));
            std::vector<int> toks;
            for (int t = 0; t < vocab && (int)toks.size() < distinct; t += 1 + (int)(rng() % 7)) toks.push_back(t);
            for (int t : toks) {
                int c = (int)(rng() % 4);
                if (c == 0 && !(rows[i].p.flags & SAMPLE_FLAG_REPETITION)) c = 1;
                rows[i].pairs.push_back(t);
                rows[i].pairs.push_back(c);
            }
        }
        if (rows[i].p.numLogprobs < 0 && i % 3 == 0) {   // non-finite logits (not where logprobs are compared)
            logits[(size_t)i * vocab + rng() % vocab] = NAN;
            logits[(size_t)i * vocab + rng() % vocab] = i % 2 ? INFINITY : -INFINITY;
        }
    }
    Gpu g;
    std::vector<int> out = launch(g, logits, rows, vocab, nullptr);
    int mism = 0, fragileMism = 0, topMism = 0;
    double maxErr = 0;
    for (int i = 0; i < numRows; i++) {
        Ref r = reference(&logits[(size_t)i * vocab], vocab, rows[i]);
        const int* o = &out[(size_t)i * SAMPLE_OUT_STRIDE];
        if (o[0] != r.token) {
            if (r.fragile) fragileMism++;
            else {
                if (mism < 5) printf("  row %d combo %d gpu %d ref %d\n", i, i % 16, o[0], r.token);
                mism++;
            }
            continue;
        }
        if (rows[i].p.numLogprobs >= 0) {
            maxErr = std::max(maxErr, std::fabs(asFloat(o[1]) - r.chosenLogprob));
            for (int j = 0; j < rows[i].p.numLogprobs; j++) {
                if (o[2 + j] != r.topIds[j]) {
                    if (topMism < 5) printf("  row %d top[%d] gpu %d ref %d\n", i, j, o[2 + j], r.topIds[j]);
                    topMism++;
                }
                double lp = asFloat(o[2 + SAMPLE_MAX_LOGPROBS + j]);
                if (!(std::isinf(r.topLps[j]) && lp == r.topLps[j])) maxErr = std::max(maxErr, std::fabs(lp - r.topLps[j]));
            }
        }
    }
    bool ok = mism == 0 && topMism == 0 && maxErr <= 1e-4;
    printf("%s sample_rows%s rows=%d vocab=%d mismatches=%d fragile_mismatches=%d top_id_mismatches=%d max_logprob_err=%.3g\n",
           ok ? "PASS" : "FAIL", flat ? " flat_top_p" : "", numRows, vocab, mism, fragileMism, topMism, maxErr);
    return ok ? 0 : 1;
}

static int checkDeterminism(int vocab) {
    std::mt19937_64 rng(9);
    std::normal_distribution<float> normal(0, 2);
    int n = 64;
    std::vector<float> logits((size_t)n * vocab);
    for (auto& v : logits) v = normal(rng);
    std::vector<Row> rows(n);
    for (int i = 0; i < n; i++) rows[i].p = combo(i % 6 == 0 ? 3 : i, vocab, (i + 0.5) / n);
    Gpu g;
    std::vector<int> a = launch(g, logits, rows, vocab, nullptr);
    std::vector<int> b = launch(g, logits, rows, vocab, nullptr);
    int differ = 0;
    for (int i = 0; i < n; i += 7) {   // alone vs in the batch
        std::vector<float> one(logits.begin() + (size_t)i * vocab, logits.begin() + (size_t)(i + 1) * vocab);
        std::vector<Row> r1{rows[i]};
        std::vector<int> o = launch(g, one, r1, vocab, nullptr);
        differ += memcmp(o.data(), &a[(size_t)i * SAMPLE_OUT_STRIDE], 2 * 4) != 0;
    }
    bool same = a == b;
    printf("%s sample_rows determinism vocab=%d repeat_equal=%d rows_differing_alone=%d\n", same && !differ ? "PASS" : "FAIL", vocab, same, differ);
    return same && !differ ? 0 : 1;
}

#ifndef SIMT_EMULATED
static void timing() {
    int n = 256, vocab = 256000;
    std::mt19937_64 rng(5);
    std::normal_distribution<float> normal(0, 3);
    std::vector<float> logits((size_t)n * vocab);
    for (auto& v : logits) v = normal(rng);
    const char* names[] = {"greedy", "temperature", "top_k=50,top_p=0.9", "top_p=0.9", "top_k=50", "top_k=50,top_p=0.95,logprobs=5", "min_p=0.05"};
    float* d; SampleRowParams* dp; int* dpairs; float* draw; int* dout;
    CHECK(cudaMalloc(&d, logits.size() * 4));
    CHECK(cudaMalloc(&dp, n * sizeof(SampleRowParams)));
    CHECK(cudaMalloc(&dpairs, 8)); CHECK(cudaMalloc(&draw, 8));
    CHECK(cudaMalloc(&dout, n * SAMPLE_OUT_STRIDE * 4));
    CHECK(cudaMemcpy(d, logits.data(), logits.size() * 4, cudaMemcpyHostToDevice));
    for (int c = 0; c < 7; c++) {
        std::vector<SampleRowParams> ps(n);
        for (int i = 0; i < n; i++) {
            SampleRowParams p{};
            p.uniform = (i + 0.5) / n; p.topP = 1; p.temperature = 0.8f; p.repetitionPenalty = 1; p.numLogprobs = -1;
            if (c == 0) p.flags = SAMPLE_FLAG_GREEDY;
            if (c == 2) { p.topK = 50; p.topP = 0.9; }
            if (c == 3) p.topP = 0.9;
            if (c == 4) p.topK = 50;
            if (c == 5) { p.topK = 50; p.topP = 0.95; p.numLogprobs = 5; }
            if (c == 6) p.minP = 0.05;
            ps[i] = p;
        }
        CHECK(cudaMemcpy(dp, ps.data(), n * sizeof(SampleRowParams), cudaMemcpyHostToDevice));
        std::vector<float> t;
        cudaEvent_t a, b;
        CHECK(cudaEventCreate(&a)); CHECK(cudaEventCreate(&b));
        for (int it = -3; it < 20; it++) {
            CHECK(cudaEventRecord(a));
            sample_rows<<<n, SAMPLE_THREADS>>>(d, vocab, dp, dpairs, draw, dout);
            CHECK(cudaEventRecord(b));
            CHECK(cudaEventSynchronize(b));
            float ms; CHECK(cudaEventElapsedTime(&ms, a, b));
            if (it >= 0) t.push_back(ms);
        }
        std::sort(t.begin(), t.end());
        printf("TIME sample_rows rows=%d vocab=%d %s median_ms=%.3f (%.0f GB/s of logits per pass-equivalent)\n",
               n, vocab, names[c], t[10], logits.size() * 4 / (t[10] * 1e6));
    }
    CHECK(cudaFree(d)); CHECK(cudaFree(dp)); CHECK(cudaFree(dpairs)); CHECK(cudaFree(draw)); CHECK(cudaFree(dout));
}
#endif

int main() {
    int failures = 0;
#ifdef SIMT_EMULATED
    int shapes[][2] = {{48, 1024}, {16, 20000}, {8, 7}, {32, 1000}, {16, 3000}};
#else
    int shapes[][2] = {{256, 1024}, {48, 256000}, {16, 50257}, {8, 7}, {64, 1000}, {32, 32000}};
#endif
    for (auto& s : shapes) failures += checkShape(s[0], s[1], 1000u * s[1] + s[0]);
#ifdef SIMT_EMULATED
    failures += checkShape(8, 12000, 4242, true);
#else
    failures += checkShape(32, 256000, 4242, true);
#endif
#ifndef SIMT_EMULATED
    failures += checkDeterminism(256000);
    failures += checkDeterminism(1000);
    timing();
#endif
    printf("%s sampling_test failures=%d\n", failures ? "FAIL" : "PASS", failures);
    return failures;
}
