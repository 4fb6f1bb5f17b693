package dev.minitron.worker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority and certificates it signed, made with the JDK's {@code keytool}
 * (no extra dependency): EC P-256 keys, valid for a day, every leaf for {@code localhost} and
 * {@code 127.0.0.1} and usable as TLS server and client. Everything is PEM, the form Kafka reads
 * without keystore passwords ({@code ssl.truststore.type=PEM}, {@code ssl.keystore.type=PEM}) and the
 * one the Helm chart passes from Kubernetes Secrets.
 */
public final class TestCertificates {

    /**
     * A signed identity: its distinguished name (the Kafka principal over mutual TLS is {@code
     * User:<dn>}), the certificate chain (leaf, then the CA) and the unencrypted PKCS#8 private key.
     */
    public record Identity(String distinguishedName, String certificateChainPem, String privateKeyPem) {

        /** The chain and key in one PEM file, for {@code ssl.keystore.location} with {@code ssl.keystore.type=PEM}. */
        public Path writeKeystore(Path file) throws IOException {
            return Files.writeString(file, privateKeyPem + certificateChainPem);
        }
    }

    private static final String STORE_PASSWORD = "keytool-needs-one";   // the .p12 files never leave the test
    private static final List<String> KEYTOOL_JVM = List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC");

    private final Path caFile;
    private final Map<String, Identity> identities;

    private TestCertificates(Path caFile, Map<String, Identity> identities) {
        this.caFile = caFile;
        this.identities = identities;
    }

    /** A CA and one certificate per common name, signed by it; the files stay in {@code dir}. */
    public static TestCertificates create(Path dir, String... commonNames) throws IOException {
        Path caStore = dir.resolve("ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=minitron-test-ca", "-ext", "bc:c", "-validity", "1",
                "-keystore", caStore.toString(), "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
        Path caFile = dir.resolve("ca.pem");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-file", caFile.toString(),
                "-keystore", caStore.toString(), "-storepass", STORE_PASSWORD);
        String caPem = Files.readString(caFile);

        List<CompletableFuture<Identity>> pending = new ArrayList<>();
        for (String cn : commonNames) {
            pending.add(CompletableFuture.supplyAsync(() -> sign(dir, caStore, caPem, cn)));
        }
        Map<String, Identity> identities = new LinkedHashMap<>();
        for (int i = 0; i < commonNames.length; i++) {
            identities.put(commonNames[i], pending.get(i).join());
        }
        return new TestCertificates(caFile, identities);
    }

    /** The CA certificate (PEM): the truststore of every broker and client. */
    public Path caFile() {
        return caFile;
    }

    public Identity identity(String commonName) {
        Identity identity = identities.get(commonName);
        if (identity == null) {
            throw new IllegalArgumentException("no certificate for CN=" + commonName + "; made: " + identities.keySet());
        }
        return identity;
    }

    private static Identity sign(Path dir, Path caStore, String caPem, String cn) {
        try {
            Path store = dir.resolve(cn + ".p12");
            Path request = dir.resolve(cn + ".csr");
            Path certificate = dir.resolve(cn + ".crt");
            keytool("-genkeypair", "-alias", cn, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
                    "-validity", "1", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
            keytool("-certreq", "-alias", cn, "-file", request.toString(),
                    "-keystore", store.toString(), "-storepass", STORE_PASSWORD);
            keytool("-gencert", "-alias", "ca", "-rfc", "-validity", "1", "-infile", request.toString(),
                    "-outfile", certificate.toString(), "-ext", "san=dns:localhost,ip:127.0.0.1",
                    "-ext", "eku=serverAuth,clientAuth", "-ext", "ku=digitalSignature",
                    "-keystore", caStore.toString(), "-storepass", STORE_PASSWORD);
            return new Identity("CN=" + cn, Files.readString(certificate) + caPem, privateKeyPem(store, cn));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String privateKeyPem(Path store, String alias) throws IOException {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(in, STORE_PASSWORD.toCharArray());
            byte[] pkcs8 = keyStore.getKey(alias, STORE_PASSWORD.toCharArray()).getEncoded();
            String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs8);
            return "-----BEGIN PRIVATE KEY-----\n" + base64 + "\n-----END PRIVATE KEY-----\n";
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key " + alias + " from " + store, e);
        }
    }

    private static void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(KEYTOOL_JVM);
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("keytool " + args[0] + " failed: " + output);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }
}
