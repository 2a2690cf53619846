package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.testing.OpenSsl;
import dev.rotakey.testing.SoftHsmTokens;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Agent certificates as a new user meets them, through the real daemon on the default config: issue
 * to the local-files target, check with openssl, use the certificates in a real mutual-TLS handshake
 * on loopback, rotate, wait out the grace period, and find the old serial on the CA's CRL.
 *
 * <p>One daemon serves the class (each test creates agents and credentials of its own), except for the CA
 * rotation, which needs a CA nobody else has certificates from.
 */
class CertificateCredentialEndToEndIT {
    @TempDir
    static Path dir;

    static RunningDaemon daemon;
    /** Every agent the tests created, for the clean-up of leaf keys in the shared token. */
    private static final List<String> AGENTS = new ArrayList<>();

    @BeforeAll
    static void start() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("certs"));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            destroyLeafKeys();
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private static String agent(String id) {
        RunningDaemon.Answer a = daemon.post("/api/v1/agents", "{\"id\":\"" + id + "\",\"owner\":\"team@example.com\"}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        AGENTS.add(id);
        return id;
    }

    private static JsonNode certificate(String id, String agent, String extra) {
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"" + agent
                + "\",\"type\":\"certificate\",\"ca\":\"agents-ca\",\"validity\":\"PT1H\",\"gracePeriod\":\"PT2S\","
                + extra + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + agent + "/" + id + "\"}]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        return a.json();
    }

    private static Path delivered(String agent, String id) {
        return daemon.dataDir().resolve("delivered").resolve(agent).resolve(id);
    }

    private static String state(String id, int version) {
        for (JsonNode v : daemon.get("/api/v1/credentials/" + id).json().get("versions")) {
            if (v.get("version").asInt() == version) {
                return v.get("state").asText();
            }
        }
        return "absent";
    }

    @Test
    void anIssuedCertificateVerifiesWithOpensslAndCarriesTheAgentsIdentity() throws Exception {
        agent("billing-agent");
        JsonNode created = certificate("billing-mtls", "billing-agent", "\"keySpec\":\"EC_P256\",");
        Path files = delivered("billing-agent", "billing-mtls");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.resolve("key.pem"))))
                .isEqualTo("rw-------");

        assertThat(OpenSsl.run(files, "verify", "-CAfile", "chain.pem", "cert.pem").ok().output()).contains("cert.pem: OK");
        String text = OpenSsl.run(files, "x509", "-in", "cert.pem", "-noout", "-text").ok().output();
        assertThat(text)
                .contains("URI:spiffe://rotakey.local/agent/billing-agent")
                .contains("TLS Web Client Authentication")
                .doesNotContain("TLS Web Server Authentication")
                .contains("CA:FALSE")
                .contains("X509v3 CRL Distribution Points")
                .contains("/api/v1/cas/agents-ca/crl")
                .contains("Subject: CN = billing-agent");

        X509Certificate cert = read(files.resolve("cert.pem")).get(0);
        Duration validity = Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant());
        // One hour as asked, plus the few minutes notBefore is backdated for clock skew.
        assertThat(validity).isBetween(Duration.ofHours(1), Duration.ofHours(1).plusMinutes(10));
        JsonNode v1 = created.get("versions").get(0);
        assertThat(v1.get("serial").asText()).isEqualTo(cert.getSerialNumber().toString(16));
        JsonNode listed = daemon.get("/api/v1/credentials?agent=billing-agent").json().get("credentials").get(0);
        assertThat(listed.get("versions").get(0).get("serial").asText()).isEqualTo(cert.getSerialNumber().toString(16));
        assertThat(cert.getSerialNumber().bitLength()).isGreaterThanOrEqualTo(64);
        assertThat(created.get("ca").asText()).isEqualTo("agents-ca");
        assertThat(created.get("keyCustody").asText()).isEqualTo("export");

        // The CA key behind the chain is non-extractable in the token.
        String objects = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.APP, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");
        String caAlias = daemon.runtime().store().read(d -> d.certificateAuthorities().generations("agents-ca"))
                .get(0).keyAlias();
        assertThat(SoftHsmTokens.privateKeysWithAlias(objects, caAlias)).singleElement()
                .satisfies(o -> assertThat(o).contains("never extractable").contains("always sensitive"));
    }

    @Test
    void rotationRevokesTheOldCertificateIntoASignedCrlAfterTheGracePeriod() throws Exception {
        agent("rotating-agent");
        certificate("rotating-mtls", "rotating-agent", "");
        Path files = delivered("rotating-agent", "rotating-mtls");
        Path old = dir.resolve("old-cert.pem");
        Files.copy(files.resolve("cert.pem"), old);
        X509Certificate oldCert = read(old).get(0);

        RunningDaemon.Answer rotate = daemon.task("/tasks/rotate?credential=rotating-mtls");
        assertThat(rotate.status()).as(rotate.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> state("rotating-mtls", 2).equals("CURRENT"));
        assertThat(read(files.resolve("cert.pem")).get(0).getSerialNumber()).isNotEqualTo(oldCert.getSerialNumber());
        // During the grace period the old certificate is still good.
        assertThat(OpenSsl.run(dir, "verify", "-CAfile", files.resolve("chain.pem").toString(), old.toString()).exitCode())
                .isZero();

        await().atMost(Duration.ofSeconds(20)).until(() -> state("rotating-mtls", 1).equals("REVOKED"));
        HttpResponse<byte[]> crl = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(daemon.app("/api/v1/cas/agents-ca/crl")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(crl.statusCode()).isEqualTo(200);
        Path crlFile = dir.resolve("agents-ca.crl");
        Files.write(crlFile, crl.body());

        String listing = OpenSsl.run(dir, "crl", "-inform", "DER", "-in", crlFile.toString(), "-noout", "-text").ok().output();
        assertThat(listing.toUpperCase(Locale.ROOT).replace(":", ""))
                .contains(oldCert.getSerialNumber().toString(16).toUpperCase(Locale.ROOT));
        assertThat(listing).contains("Superseded");
        // The CA is shared with the class's other tests: the reason must be this certificate's own.
        assertThat(revocationReason(crl.body(), oldCert.getSerialNumber())).isEqualTo(java.security.cert.CRLReason.SUPERSEDED);
        assertThat(OpenSsl.run(dir, "crl", "-inform", "DER", "-in", crlFile.toString(), "-noout",
                "-CAfile", files.resolve("chain.pem").toString()).ok().output()).contains("verify OK");

        // A relying party that checks the CRL now refuses the old certificate and accepts the new one.
        OpenSsl.run(dir, "crl", "-inform", "DER", "-in", crlFile.toString(), "-out", "crl.pem").ok();
        String chain = files.resolve("chain.pem").toString();
        assertThat(OpenSsl.run(dir, "verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", chain, old.toString()).output())
                .contains("certificate revoked");
        assertThat(OpenSsl.run(dir, "verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", chain,
                files.resolve("cert.pem").toString()).ok().output()).contains("OK");
    }

    @Test
    void aTlsServerThatTrustsTheChainAcceptsAnAgentPresentingItsCertificate() throws Exception {
        agent("client-agent");
        agent("api-gateway");
        certificate("client-mtls", "client-agent", "");
        certificate("gateway-tls", "api-gateway", "\"keySpec\":\"RSA_2048\",\"dnsNames\":[\"localhost\"],");
        Path client = delivered("client-agent", "client-mtls");
        Path server = delivered("api-gateway", "gateway-tls");
        assertThat(OpenSsl.run(server, "x509", "-in", "cert.pem", "-noout", "-text").ok().output())
                .contains("TLS Web Server Authentication").contains("DNS:localhost");

        SSLContext serverContext = context(server, server.resolve("chain.pem"));
        SSLContext clientContext = context(client, client.resolve("chain.pem"));
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            CompletableFuture<X509Certificate> seen = CompletableFuture.supplyAsync(() -> acceptOne(listener));
            try (SSLSocket socket = (SSLSocket) clientContext.getSocketFactory().createSocket("localhost", listener.getLocalPort())) {
                SSLParameters params = socket.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(params);
                socket.startHandshake();
                assertThat(socket.getInputStream().read()).isEqualTo('k');
            }
            X509Certificate peer = seen.get(10, TimeUnit.SECONDS);
            assertThat(peer.getSubjectX500Principal().getName()).isEqualTo("CN=client-agent");
            assertThat(peer.getSubjectAlternativeNames()).anySatisfy(san ->
                    assertThat(san.get(1)).isEqualTo("spiffe://rotakey.local/agent/client-agent"));
        }

        // A server that trusts some other CA refuses the same client.
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "other-key.pem", "-out", "other-ca.pem", "-subj", "/CN=Other CA", "-days", "1").ok();
        SSLContext picky = context(server, dir.resolve("other-ca.pem"));
        try (SSLServerSocket listener = (SSLServerSocket) picky.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            CompletableFuture<X509Certificate> seen = CompletableFuture.supplyAsync(() -> acceptOne(listener));
            assertThatThrownBy(() -> {
                try (SSLSocket socket = (SSLSocket) clientContext.getSocketFactory()
                        .createSocket("localhost", listener.getLocalPort())) {
                    socket.startHandshake();
                    socket.getInputStream().read();
                }
            }).isInstanceOf(IOException.class);
            assertThat(seen).failsWithin(Duration.ofSeconds(10));
        }
    }

    @Test
    void withHsmCustodyTheLeafKeyStaysInTheTokenAndOnlyItsUriIsDelivered() throws Exception {
        agent("hsm-gateway");
        JsonNode created = certificate("gateway-hsm", "hsm-gateway", "\"keyCustody\":\"hsm\",");
        assertThat(created.get("keyCustody").asText()).isEqualTo("hsm");
        Path files = delivered("hsm-gateway", "gateway-hsm");
        assertThat(files.resolve("key.pem")).doesNotExist();
        String uri = Files.readString(files.resolve("key.uri")).trim();
        assertThat(uri).startsWith("pkcs11:token=" + SoftHsmTokens.APP + ";object=rotakey-leaf-gateway-hsm-1-")
                .endsWith(";type=private");
        String alias = uri.substring(uri.indexOf("object=") + 7, uri.indexOf(";type="));
        String objects = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.APP, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");
        assertThat(SoftHsmTokens.privateKeysWithAlias(objects, alias)).singleElement()
                .satisfies(o -> assertThat(o).contains("never extractable"));
        assertThat(OpenSsl.run(files, "verify", "-CAfile", "chain.pem", "cert.pem").ok().output()).contains("OK");

        // Emergency: the old leaf key is destroyed in the token at once, the CA key is not.
        RunningDaemon.Answer revoke = daemon.task("/tasks/revoke?credential=gateway-hsm");
        assertThat(revoke.status()).as(revoke.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> state("gateway-hsm", 1).equals("REVOKED"));
        String after = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.APP, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");
        assertThat(SoftHsmTokens.privateKeysWithAlias(after, alias)).isEmpty();
        String caAlias = daemon.runtime().store().read(d -> d.certificateAuthorities().generations("agents-ca"))
                .get(0).keyAlias();
        assertThat(SoftHsmTokens.privateKeysWithAlias(after, caAlias)).hasSize(1);
        assertThat(OpenSsl.run(files, "verify", "-CAfile", "chain.pem", "cert.pem").ok().output()).contains("OK");
    }

    @Test
    void afterACaRotationTheNextRenewalComesFromTheNewGenerationAndTheOldOneRetiresOnceItsLeafIsRevoked() throws Exception {
        // A generation retires only once nothing it issued is outstanding, and the other tests' certificates are:
        // this test gets a daemon, and so a CA, of its own.
        RunningDaemon shared = daemon;
        daemon = new RunningDaemon(dir.resolve("ca-rotation/data"),
                "jdbc:h2:file:" + dir.resolve("ca-rotation/db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("certs-ca"));
        try {
            renewalAfterCaRotation();
        } finally {
            destroyLeafKeys();
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
            daemon = shared;
        }
    }

    private void renewalAfterCaRotation() throws Exception {
        agent("renewing-agent");
        certificate("renewing-mtls", "renewing-agent", "");
        Path files = delivered("renewing-agent", "renewing-mtls");
        X509Certificate first = read(files.resolve("cert.pem")).get(0);

        RunningDaemon.Answer rotated = daemon.task("/tasks/rotate-ca?ca=agents-ca");
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, daemon.get("/api/v1/cas/agents-ca/chain").body());
        assertThat(read(bundle)).hasSize(2);
        // Relying parties that fetched the bundle accept the leaf of the old generation as well.
        assertThat(OpenSsl.run(dir, "verify", "-CAfile", bundle.toString(), files.resolve("cert.pem").toString()).exitCode())
                .isZero();

        assertThat(daemon.task("/tasks/rotate?credential=renewing-mtls").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> state("renewing-mtls", 2).equals("CURRENT"));
        X509Certificate second = read(files.resolve("cert.pem")).get(0);
        X509Certificate newCa = read(files.resolve("chain.pem")).get(0);
        assertThat(second.getIssuerX500Principal()).isEqualTo(first.getIssuerX500Principal());
        second.verify(newCa.getPublicKey());
        assertThat(newCa.getPublicKey()).isNotEqualTo(read(bundle).get(1).getPublicKey());
        assertThat(OpenSsl.run(dir, "verify", "-CAfile", bundle.toString(), files.resolve("cert.pem").toString()).exitCode())
                .isZero();

        // Once version 1 is revoked, generation 1 has nothing outstanding and leaves the bundle.
        await().atMost(Duration.ofSeconds(20)).until(() -> state("renewing-mtls", 1).equals("REVOKED"));
        daemon.runtime().authorities().refreshCrls();
        JsonNode generations = daemon.get("/api/v1/cas/agents-ca").json().get("generations");
        assertThat(generations.get(1).get("state").asText()).isEqualTo("RETIRED");
        assertThat(read(writeTo(dir.resolve("after.pem"), daemon.get("/api/v1/cas/agents-ca/chain").body()))).hasSize(1);
    }

    @Test
    void decommissioningAnAgentPutsItsCertificateOnTheCrlAtOnce() throws Exception {
        agent("leaving-agent");
        certificate("leaving-mtls", "leaving-agent", "");
        String serial = daemon.get("/api/v1/credentials/leaving-mtls").json().get("versions").get(0).get("serial").asText();
        // The batch revokes at the CA and the targets after the task has answered: its end is the moment to look.
        assertThat(daemon.awaitBatch(daemon.task("/tasks/decommission?agent=leaving-agent")).path("state").asText())
                .isEqualTo("DONE");
        assertThat(state("leaving-mtls", 1)).isEqualTo("REVOKED");
        Path crl = dir.resolve("now.crl");
        byte[] der = HttpClient.newHttpClient().send(HttpRequest.newBuilder(daemon.app("/api/v1/cas/agents-ca/crl"))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray()).body();
        Files.write(crl, der);
        String listing = OpenSsl.run(dir, "crl", "-inform", "DER", "-in", crl.toString(), "-noout", "-text").ok().output();
        assertThat(listing.toUpperCase(Locale.ROOT).replace(":", "")).contains(serial.toUpperCase(Locale.ROOT));
        assertThat(listing).contains("Cessation Of Operation");
        // The CA is shared with the class's other tests: the reason must be this certificate's own.
        assertThat(revocationReason(der, new java.math.BigInteger(serial, 16)))
                .isEqualTo(java.security.cert.CRLReason.CESSATION_OF_OPERATION);
        assertThat(delivered("leaving-agent", "leaving-mtls").resolve("cert.pem")).doesNotExist();
    }

    /** The reason the CRL gives for {@code serial}'s revocation (null when it is not on the CRL). */
    private static java.security.cert.CRLReason revocationReason(byte[] crl, java.math.BigInteger serial) throws Exception {
        java.security.cert.X509CRL parsed = (java.security.cert.X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(crl));
        java.security.cert.X509CRLEntry entry = parsed.getRevokedCertificate(serial);
        return entry == null ? null : entry.getRevocationReason();
    }

    private static Path writeTo(Path file, String content) throws IOException {
        Files.writeString(file, content);
        return file;
    }

    @Test
    void requestsACaCannotHonourAreClear4xx() {
        agent("refused-agent");
        String base = "{\"id\":\"x\",\"agent\":\"refused-agent\",\"type\":\"certificate\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"x\"}],";
        RunningDaemon.Answer unknownCa = daemon.post("/api/v1/credentials", base + "\"ca\":\"nope\"}");
        assertThat(unknownCa.status()).isEqualTo(422);
        assertThat(unknownCa.json().toString()).contains("ca").contains("nope");
        RunningDaemon.Answer badSpec = daemon.post("/api/v1/credentials", base + "\"keySpec\":\"ED25519\"}");
        assertThat(badSpec.status()).isEqualTo(422);
        assertThat(badSpec.json().toString()).contains("keySpec").contains("ED25519");
        RunningDaemon.Answer shortValidity = daemon.post("/api/v1/credentials", base
                + "\"validity\":\"PT1H\",\"gracePeriod\":\"PT2H\"}");
        assertThat(shortValidity.status()).isEqualTo(422);
        assertThat(shortValidity.json().toString()).contains("gracePeriod").contains("validity");
        assertThat(daemon.get("/api/v1/credentials/x").status()).isEqualTo(404);
    }

    /** Accepts one client, completes the handshake, answers one byte and returns the client's certificate. */
    private static X509Certificate acceptOne(SSLServerSocket listener) {
        try (SSLSocket s = (SSLSocket) listener.accept()) {
            s.startHandshake();
            X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
            s.getOutputStream().write('k');
            s.getOutputStream().flush();
            return peer;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A TLS context with the delivered key and certificate chain, trusting the roots in {@code trust}. */
    private static SSLContext context(Path files, Path trust) throws Exception {
        List<X509Certificate> chain = new ArrayList<>(read(files.resolve("cert.pem")));
        chain.addAll(read(files.resolve("chain.pem")));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("agent", privateKey(files.resolve("key.pem")), new char[0], chain.toArray(Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(keys, new char[0]);
        KeyStore roots = KeyStore.getInstance("PKCS12");
        roots.load(null, null);
        List<X509Certificate> anchors = read(trust);
        for (int i = 0; i < anchors.size(); i++) {
            roots.setCertificateEntry("ca-" + i, anchors.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(roots);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static PrivateKey privateKey(Path pem) throws IOException {
        try (Reader r = Files.newBufferedReader(pem); PEMParser parser = new PEMParser(r)) {
            return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) parser.readObject());
        }
    }

    static List<X509Certificate> read(Path pem) throws Exception {
        try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(pem))) {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            return all.stream().map(c -> (X509Certificate) c).toList();
        }
    }

    /** Leaf keys with hsm custody live in the shared APP token: destroy the ones this test left. */
    private static void destroyLeafKeys() {
        var rt = daemon.runtime();
        var backend = rt.backends().get("hsm");
        if (!backend.status().healthy()) {
            return;
        }
        for (String agent : AGENTS) {
            for (String id : rt.store().read(d -> d.credentials().idsOfAgent(agent))) {
                int max = rt.store().read(d -> d.versions().maxVersion(id));
                for (int v = 1; v <= max; v++) {
                    int version = v;
                    rt.store().read(d -> d.versions().keyRef(id, version)).ifPresent(backend::destroySigningKey);
                }
            }
        }
    }
}
