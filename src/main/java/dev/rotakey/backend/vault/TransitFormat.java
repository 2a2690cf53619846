package dev.rotakey.backend.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;

import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How Vault's transit engine describes keys and encodes digests and signatures, read into Rotakey's
 * types: key types, the version Rotakey pins, {@code vault:vN:<base64>} values and PEM public keys.
 * Pure functions; the backend does the requests.
 */
final class TransitFormat {
    private static final Pattern VERSIONED = Pattern.compile("vault:v(\\d+):(.*)", Pattern.DOTALL);
    private static final Map<KeySpec, String> TRANSIT_TYPES = Map.of(
            KeySpec.EC_P256, "ecdsa-p256",
            KeySpec.EC_P384, "ecdsa-p384",
            KeySpec.RSA_2048, "rsa-2048",
            KeySpec.RSA_3072, "rsa-3072");

    private TransitFormat() {
    }

    /** The transit key type of a signing key spec ({@code ecdsa-p256}, …). */
    static String typeOf(KeySpec spec) {
        return TRANSIT_TYPES.get(spec);
    }

    /** The signing key spec of a transit key type; empty for types Rotakey does not sign with (hmac, aes…). */
    static Optional<KeySpec> specOf(String type) {
        return TRANSIT_TYPES.entrySet().stream().filter(e -> e.getValue().equals(type))
                .map(Map.Entry::getKey).findFirst();
    }

    /** The oldest version Vault still lets Rotakey use: stable across rotations and restarts (see the backend's class doc). */
    static int pinnedVersion(JsonNode keyData) {
        int v = Math.max(1, keyData.path("min_available_version").asInt(0));
        v = Math.max(v, keyData.path("min_encryption_version").asInt(0));
        return v;
    }

    /** The version to pin of the HMAC key {@code keyData} describes; refuses an exportable or non-hmac key. */
    static int hmacKeyVersion(JsonNode keyData, String hmacKey, String mount) {
        String type = keyData.path("type").asText("");
        if (!type.equals("hmac")) {
            throw new KeyBackendException("transit key '" + hmacKey + "' in mount '" + mount + "' is of type '" + type
                    + "', not 'hmac': configure another hmacKey");
        }
        if (keyData.path("exportable").asBoolean(false)) {
            throw new KeyBackendException("transit key '" + hmacKey + "' in mount '" + mount
                    + "' is exportable: Rotakey only digests under a key that cannot leave Vault");
        }
        return pinnedVersion(keyData);
    }

    /** Decodes {@code vault:vN:<base64>}, insisting on the pinned version. */
    static byte[] versioned(String value, int expectedVersion, String field) {
        Matcher m = VERSIONED.matcher(value);
        if (!m.matches()) {
            throw new KeyBackendUnavailableException("Vault's " + field + " is not of the form vault:vN:<base64>");
        }
        int version = Integer.parseInt(m.group(1));
        if (version != expectedVersion) {
            throw new KeyBackendException("Vault used key version " + version + " for the " + field + " instead of the pinned "
                    + expectedVersion);
        }
        return decodeBase64(m.group(2), field);
    }

    static byte[] decodeBase64(String value, String field) {
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new KeyBackendUnavailableException("Vault's " + field + " is not valid base64");
        }
    }

    static PublicKey parsePublicKey(String pem, KeySpec spec, String alias) {
        String base64 = pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            byte[] der = Base64.getDecoder().decode(base64);
            return KeyFactory.getInstance(spec.keyAlgorithm()).generatePublic(new X509EncodedKeySpec(der));
        } catch (IllegalArgumentException | InvalidKeySpecException | NoSuchAlgorithmException e) {
            throw new KeyBackendException("the public key Vault holds for '" + alias + "' is not a PEM "
                    + spec.keyAlgorithm() + " public key (" + e.getClass().getSimpleName() + ")");
        }
    }
}
