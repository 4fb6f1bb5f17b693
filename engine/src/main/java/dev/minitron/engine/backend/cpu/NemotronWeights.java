package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.CheckpointException;
import dev.minitron.engine.io.DType;
import dev.minitron.engine.io.TensorView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * All weights of a {@code NemotronForCausalLM}, looked up by their Hugging Face names and checked
 * against the config's shapes. This is the one place that knows the checkpoint's naming.
 */
record NemotronWeights(
        WeightMatrix embedTokens,        // [vocab, hidden]
        List<LayerWeights> layers,
        LayerNorm1P norm,
        WeightMatrix lmHead,             // [vocab, hidden]
        DType activationDtype) {         // the checkpoint's dtype; RoPE's cos/sin are rounded to it

    static NemotronWeights load(Checkpoint checkpoint) {
        ModelConfig c = checkpoint.config();
        int hidden = c.hiddenSize();
        float eps = (float) c.normEps();
        TensorView embed = checkpoint.tensor("model.embed_tokens.weight");
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new LayerWeights(
                    LayerNorm1P.load(checkpoint, p + "input_layernorm", hidden, eps),
                    matrix(checkpoint, p + "self_attn.q_proj.weight", c.qSize(), hidden),
                    matrix(checkpoint, p + "self_attn.k_proj.weight", c.kvSize(), hidden),
                    matrix(checkpoint, p + "self_attn.v_proj.weight", c.kvSize(), hidden),
                    matrix(checkpoint, p + "self_attn.o_proj.weight", hidden, c.qSize()),
                    LayerNorm1P.load(checkpoint, p + "post_attention_layernorm", hidden, eps),
                    matrix(checkpoint, p + "mlp.up_proj.weight", c.intermediateSize(), hidden),
                    matrix(checkpoint, p + "mlp.down_proj.weight", hidden, c.intermediateSize())));
        }
        String head = c.tieWordEmbeddings() && checkpoint.findTensor("lm_head.weight").isEmpty()
                ? "model.embed_tokens.weight" : "lm_head.weight";
        return new NemotronWeights(
                matrix(checkpoint, "model.embed_tokens.weight", c.vocabSize(), hidden),
                List.copyOf(layers),
                LayerNorm1P.load(checkpoint, "model.norm", hidden, eps),
                matrix(checkpoint, head, c.vocabSize(), hidden),
                embed.dtype());
    }

    private static WeightMatrix matrix(Checkpoint checkpoint, String name, int rows, int cols) {
        TensorView t = checkpoint.tensor(name);
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new CheckpointException(checkpoint.directory(), "tensor \"" + name + "\" has shape "
                    + Arrays.toString(t.shape()) + " but config.json implies [" + rows + ", " + cols + "]");
        }
        return WeightMatrix.of(t);
    }
}
