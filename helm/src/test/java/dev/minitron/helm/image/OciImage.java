package dev.minitron.helm.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * An OCI image layout tarball read the way a container runtime reads it: index.json → manifest →
 * config and layers (https://github.com/opencontainers/image-spec/blob/main/image-layout.md).
 */
record OciImage(JsonNode index, JsonNode manifest, JsonNode config, Map<String, byte[]> blobs) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static OciImage read(Path tar) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tar)))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.isFile()) {
                    files.put(e.getName(), in.readAllBytes());
                }
            }
        }
        if (!new String(files.get("oci-layout")).contains("imageLayoutVersion")) {
            throw new AssertionError("not an OCI layout: " + files.keySet());
        }
        JsonNode index = JSON.readTree(files.get("index.json"));
        JsonNode manifest = JSON.readTree(blob(files, index.at("/manifests/0/digest").asText()));
        JsonNode config = JSON.readTree(blob(files, manifest.at("/config/digest").asText()));
        return new OciImage(index, manifest, config, files);
    }

    /** Unpacks every layer in order into {@code root}, keeping file modes (bin/java stays executable). */
    void unpack(Path root) throws IOException {
        for (JsonNode layer : manifest.path("layers")) {
            byte[] gz = blob(blobs, layer.path("digest").asText());
            try (TarArchiveInputStream in = new TarArchiveInputStream(new GzipCompressorInputStream(
                    new java.io.ByteArrayInputStream(gz)))) {
                for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                    Path target = root.resolve(e.getName().replaceFirst("^/", "")).normalize();
                    if (!target.startsWith(root)) {
                        throw new IOException("layer entry escapes the root: " + e.getName());
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                    } else if (e.isFile()) {
                        Files.createDirectories(target.getParent());
                        Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(target, permissions(e.getMode()));
                    }
                }
            }
        }
    }

    static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        int status = p.waitFor();
        if (status != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + status + ": " + out);
        }
        return out.toString();
    }

    private static byte[] blob(Map<String, byte[]> files, String digest) {
        byte[] bytes = files.get("blobs/" + digest.replace(':', '/'));
        if (bytes == null) {
            throw new AssertionError("missing blob " + digest);
        }
        return bytes;
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }
}
