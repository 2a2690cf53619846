package dev.rotakey.backend;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Optional;

/**
 * The kinds of signing key a backend can generate, each with the one signature algorithm it is
 * used with. No Ed25519: SunPKCS11 offers only EC and RSA.
 */
public enum KeySpec {
    EC_P256("EC", 256, "secp256r1", "SHA256withECDSA"),
    EC_P384("EC", 384, "secp384r1", "SHA384withECDSA"),
    RSA_2048("RSA", 2048, null, "SHA256withRSA"),
    RSA_3072("RSA", 3072, null, "SHA256withRSA");

    private final String keyAlgorithm;
    private final int keySize;
    private final String curve;
    private final String signatureAlgorithm;

    KeySpec(String keyAlgorithm, int keySize, String curve, String signatureAlgorithm) {
        this.keyAlgorithm = keyAlgorithm;
        this.keySize = keySize;
        this.curve = curve;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** The JCA key algorithm ({@code EC}, {@code RSA}). */
    public String keyAlgorithm() {
        return keyAlgorithm;
    }

    /** The key size in bits: the field size of an EC curve, the modulus length of RSA. */
    public int keySize() {
        return keySize;
    }

    /** The standard name of the EC curve ({@code secp256r1}, …); empty for RSA. */
    public Optional<String> curve() {
        return Optional.ofNullable(curve);
    }

    /** The JCA signature algorithm keys of this spec sign with. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /**
     * The spec of a public key, or empty when it matches none. EC keys are compared by their full
     * domain parameters, not only the field size, so a Brainpool curve of the same size is no match.
     */
    public static Optional<KeySpec> of(PublicKey key) {
        for (KeySpec spec : values()) {
            if (spec.matches(key)) {
                return Optional.of(spec);
            }
        }
        return Optional.empty();
    }

    private boolean matches(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return keyAlgorithm.equals("RSA") && rsa.getModulus().bitLength() == keySize;
        }
        if (key instanceof ECPublicKey ec && curve != null) {
            ECParameterSpec params = ec.getParams();
            ECParameterSpec named = namedCurve(curve);
            return params.getCurve().equals(named.getCurve())
                    && params.getGenerator().equals(named.getGenerator())
                    && params.getOrder().equals(named.getOrder())
                    && params.getCofactor() == named.getCofactor();
        }
        return false;
    }

    private static ECParameterSpec namedCurve(String name) {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec(name));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("curve " + name + " is missing from this Java runtime", e);
        }
    }
}
