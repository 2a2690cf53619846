package dev.rotakey.backend.vault;

import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.vault.VaultResponse;
import dev.rotakey.vault.VaultSession;
import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The transit engine's endpoints under one mount, as Rotakey calls them: the HMAC key read or created, random bytes,
 * HMACs, signatures, and a key rotated or its old versions retired. It knows nothing of the backend's online state;
 * {@link VaultTransitKeyBackend} wraps each call with that.
 */
final class TransitMount {
    private final String name;
    private final Logger log;
    private final VaultSession session;
    private final String mount;
    private final String hmacKey;

    /** @param log the backend's logger, so that what it logs keeps the backend's category */
    TransitMount(String name, Logger log, VaultSession session, String mount, String hmacKey) {
        this.name = name;
        this.log = log;
        this.session = session;
        this.mount = mount;
        this.hmacKey = hmacKey;
    }

    String keyPath(String key) {
        return mount + "/keys/" + key;
    }

    /** Reads (or creates) the HMAC key and returns the version to pin; refuses an exportable or non-hmac key. */
    int readHmacVersion() {
        String path = keyPath(hmacKey);
        VaultResponse r = session.read(path);
        if (!r.found()) {
            session.write(path, Map.of("type", "hmac", "exportable", false, "allow_plaintext_backup", false));
            log.info("Key backend '{}' created HMAC key '{}' in transit mount '{}'", name, hmacKey, mount);
            r = session.read(path);
            if (!r.found()) {
                throw new KeyBackendException("HMAC key '" + hmacKey + "' is missing from Vault right after it was created");
            }
        }
        return TransitFormat.hmacKeyVersion(r.data(), hmacKey, mount);
    }

    byte[] random(int n) {
        VaultResponse r = session.write(mount + "/random", Map.of("bytes", n, "format", "base64"));
        byte[] bytes = TransitFormat.decodeBase64(r.data().path("random_bytes").asText(""), "random_bytes");
        if (bytes.length != n) {
            throw new KeyBackendUnavailableException("Vault returned " + bytes.length + " random bytes instead of " + n);
        }
        return bytes;
    }

    byte[] hmac(int hmacVersion, byte[] data) {
        Map<String, Object> body = Map.of("input", Base64.getEncoder().encodeToString(data),
                "key_version", hmacVersion);
        VaultResponse r = session.write(mount + "/hmac/" + hmacKey + "/sha2-256", body);
        return TransitFormat.versioned(r.data().path("hmac").asText(""), hmacVersion, "hmac");
    }

    /** Signs with the version {@code key} is pinned to. */
    byte[] sign(TransitSigningKey key, byte[] data) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("input", Base64.getEncoder().encodeToString(data));
        body.put("hash_algorithm", key.spec() == KeySpec.EC_P384 ? "sha2-384" : "sha2-256");
        body.put("marshaling_algorithm", "asn1");
        if (key.spec().keyAlgorithm().equals("RSA")) {
            body.put("signature_algorithm", "pkcs1v15");
        }
        body.put("key_version", key.version());
        VaultResponse r = session.write(mount + "/sign/" + key.alias(), body);
        return TransitFormat.versioned(r.data().path("signature").asText(""), key.version(), "signature");
    }

    /** Adds a version to the transit key {@code alias} and returns its number. */
    int rotate(String alias) {
        String path = keyPath(alias);
        if (!session.read(path).found()) {
            throw new KeyBackendException("no key '" + alias + "' in Vault transit mount '" + mount + "'");
        }
        session.write(path + "/rotate", Map.of());
        // Older Vaults answer 204: read the key back for its new version either way.
        int latest = session.read(path).data().path("latest_version").asInt(0);
        log.info("Key backend '{}' rotated key '{}' to version {}", name, alias, latest);
        return latest;
    }

    /** Raises the key's minimum versions to {@code version} (never lowering them), then trims the older ones. */
    void retireVersionsBelow(String alias, int version) {
        String path = keyPath(alias);
        VaultResponse r = session.read(path);
        if (!r.found()) {
            throw new KeyBackendException("no key '" + alias + "' in Vault transit mount '" + mount + "'");
        }
        JsonNode d = r.data();
        int latest = d.path("latest_version").asInt(0);
        if (version > latest) {
            throw new KeyBackendException("key '" + alias + "' has no version " + version + " (latest is " + latest + ")");
        }
        int minDecryption = d.path("min_decryption_version").asInt(1);
        int minEncryption = d.path("min_encryption_version").asInt(0);
        int minAvailable = d.path("min_available_version").asInt(0);
        Map<String, Object> config = new LinkedHashMap<>();
        if (minDecryption < version) {
            config.put("min_decryption_version", version);
        }
        // Also when it is 0 ("latest"): Vault trims only below an explicit encryption minimum.
        if (minEncryption < version) {
            config.put("min_encryption_version", version);
        }
        if (!config.isEmpty()) {
            session.write(path + "/config", config);
        }
        if (minAvailable < version) {
            session.write(path + "/trim", Map.of("min_available_version", version));
        }
        log.info("Key backend '{}' retired versions below {} of key '{}'", name, version, alias);
    }
}
