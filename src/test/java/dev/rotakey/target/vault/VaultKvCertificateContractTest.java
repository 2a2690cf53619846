package dev.rotakey.target.vault;

import dev.rotakey.core.Secret;
import dev.rotakey.target.CertificateMaterial;
import dev.rotakey.target.Delivery;
import dev.rotakey.target.Revocation;
import dev.rotakey.target.Target;
import dev.rotakey.target.TargetBinding;
import dev.rotakey.target.TargetContractTest;
import dev.rotakey.target.files.TestCertificateAuthority;
import dev.rotakey.target.files.TestCertificateAuthority.KeyType;
import dev.rotakey.target.files.TestCertificateAuthority.Leaf;
import dev.rotakey.testing.VaultTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the target contract against a {@code vault-kv} target delivering certificates: each
 * "material" is a freshly issued leaf, the secret the contract sees is its certificate PEM (what
 * revocations match on) and the delivery carries its chain and private key.
 */
class VaultKvCertificateContractTest extends TargetContractTest {
    private static final TestCertificateAuthority CA = TestCertificateAuthority.create("Contract", KeyType.EC);
    private static final AtomicInteger LEAVES = new AtomicInteger();

    private static VaultTestServer server;

    @TempDir
    Path dir;

    private String prefix;

    private final Map<Secret, CertificateMaterial> issued = new IdentityHashMap<>();

    @BeforeAll
    static void startVault() {
        server = VaultTestServer.start();
    }

    @AfterAll
    static void stopVault() {
        server.stop();
    }

    @AfterEach
    void destroyKeys() {
        issued.values().forEach(CertificateMaterial::destroy);
    }

    @Override
    protected Target newTarget() {
        prefix = VaultKvTargets.uniquePrefix();
        return VaultKvTargets.factory(server, dir, prefix).build("vault");
    }

    @Override
    protected TargetBinding binding(String credentialId) {
        return new TargetBinding("vault", Map.of("path", "agents/" + credentialId + "/tls"));
    }

    @Override
    protected Secret newMaterial() {
        Leaf leaf = CA.leaf("leaf-" + LEAVES.incrementAndGet(), KeyType.EC);
        Secret certificate = Secret.of(leaf.certificatePem());
        issued.put(certificate, leaf.exported());
        return certificate;
    }

    @Override
    protected Delivery delivery(String credentialId, int version, Secret material) {
        return new Delivery("agent-" + credentialId, credentialId, "certificate", version, binding(credentialId),
                material, issued.get(material));
    }

    @Override
    protected Revocation revocation(String credentialId, int version, Secret material) {
        return new Revocation("agent-" + credentialId, credentialId, "certificate", version, binding(credentialId),
                matcherFor(material));
    }

    @Override
    protected boolean canReadBack() {
        return true;
    }

    /** The latest KV version's certificate, as anyone with read access sees it. */
    @Override
    protected Optional<byte[]> readBack(TargetBinding binding) {
        return VaultKvTargets.direct(server).read(prefix + "/" + binding.param("path"), 0)
                .map(data -> data.get("certificate"))
                .map(pem -> pem.getBytes(StandardCharsets.UTF_8));
    }
}
