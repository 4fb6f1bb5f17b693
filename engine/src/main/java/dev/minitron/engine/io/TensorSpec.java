package dev.minitron.engine.io;

import java.util.Arrays;

/** Name, element type and shape of a tensor about to be written. */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
            }
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long byteSize() {
        return Math.multiplyExact(TensorView.numel(shape), dtype.byteSize());
    }
}
