package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import java.io.IOException;
import java.nio.file.Path;

/** The tiny checkpoint the CPU forward tests run against: preset {@code tiny}, seed 7. */
final class TinyModel {

    static final long SEED = 7;

    private TinyModel() {
    }

    static Path write(Path dir) throws IOException {
        TinyCheckpoint.write(dir, TinyPreset.TINY, SEED);
        return dir;
    }
}
