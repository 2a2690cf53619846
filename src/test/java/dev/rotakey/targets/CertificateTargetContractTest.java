package dev.rotakey.targets;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.files.TestCertificateAuthority;
import dev.rotakey.targets.files.TestCertificateAuthority.KeyType;
import dev.rotakey.targets.files.TestCertificateAuthority.Leaf;
import org.junit.jupiter.api.AfterEach;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The target contract with certificate deliveries: each "material" is a freshly issued leaf, the
 * secret the contract sees is its certificate PEM (what revocations match on) and the delivery
 * carries its chain and private key.
 */
public abstract class CertificateTargetContractTest extends TargetContractTest {
    private static final TestCertificateAuthority CA = TestCertificateAuthority.create("Contract", KeyType.EC);
    private static final AtomicInteger LEAVES = new AtomicInteger();

    private final Map<Secret, CertificateMaterial> issued = new IdentityHashMap<>();

    @AfterEach
    void destroyKeys() {
        issued.values().forEach(CertificateMaterial::destroy);
    }

    @Override
    protected String credentialType() {
        return "certificate";
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
        return new Delivery("agent-" + credentialId, credentialId, credentialType(), version, binding(credentialId),
                material, issued.get(material));
    }
}
