package dev.rotakey.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Drives the Vault double over plain HTTP with the JDK's client and checks Vault's documented behaviour. */
class VaultTestServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DENIED = "1 error occurred:\n\t* permission denied\n\n";
    private static final String BAD_TOKEN = "permission denied";
    private static final byte[] MESSAGE = "rotate the agent credential".getBytes(StandardCharsets.UTF_8);

    private VaultTestServer vault;
    private HttpClient http;

    /** Status and parsed body (null for an empty body) of one call. */
    record Answer(int status, JsonNode body) {
        JsonNode data() {
            return body.get("data");
        }

        List<String> errors() {
            return JSON.convertValue(body.get("errors"), JSON.getTypeFactory().constructCollectionType(List.class,
                    String.class));
        }
    }

    @BeforeEach
    void start() {
        vault = VaultTestServer.start();
        http = HttpClient.newHttpClient();
    }

    @AfterEach
    void stop() {
        vault.stop();
    }

    Answer call(String method, String path, String token, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/" + path));
        if (token != null) {
            b.header("X-Vault-Token", token);
        }
        String text = body == null ? null : body instanceof String s ? s : JSON.writeValueAsString(body);
        b.method(method, text == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(text));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
    }

    Answer root(String method, String path, Object body) throws Exception {
        return call(method, path, vault.rootToken(), body);
    }

    Answer post(String path, Object body) throws Exception {
        return root("POST", path, body);
    }

    Answer get(String path) throws Exception {
        return root("GET", path, null);
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    PublicKey publicKey(String key, int version) throws Exception {
        String pem = get("transit/keys/" + key).data().get("keys").get(Integer.toString(version))
                .get("public_key").asText();
        assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\n").endsWith("-----END PUBLIC KEY-----\n");
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        String alg = key.startsWith("rsa") ? "RSA" : "EC";
        return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
    }

    static byte[] signatureBytes(String vaultSignature, int version) {
        assertThat(vaultSignature).startsWith("vault:v" + version + ":");
        return Base64.getDecoder().decode(vaultSignature.substring(("vault:v" + version + ":").length()));
    }

    // ---- common behaviour ------------------------------------------------------------------------

    @Test
    void readsCarryTheFullEnvelope() throws Exception {
        Answer a = get("auth/token/lookup-self");
        assertThat(a.status()).isEqualTo(200);
        JsonNode b = a.body();
        assertThat(b.get("request_id").asText()).matches("[0-9a-f-]{36}");
        assertThat(b.get("lease_id").asText()).isEmpty();
        assertThat(b.get("renewable").asBoolean()).isFalse();
        assertThat(b.get("lease_duration").asInt()).isZero();
        assertThat(b.get("wrap_info").isNull()).isTrue();
        assertThat(b.get("warnings").isNull()).isTrue();
        assertThat(b.get("auth").isNull()).isTrue();
        assertThat(b.get("mount_type").asText()).isEqualTo("token");
        assertThat(a.data().get("policies").get(0).asText()).isEqualTo("root");
        assertThat(a.data().get("expire_time").isNull()).isTrue();
        assertThat(a.data().get("ttl").asInt()).isZero();
    }

    @Test
    void missingOrUnknownTokenIsPermissionDenied() throws Exception {
        Answer none = call("GET", "transit/keys/a", null, null);
        Answer bogus = call("GET", "transit/keys/a", "hvs.nope", null);
        // A bad token is refused before routing, so Vault does not wrap it the way it wraps a policy refusal.
        assertThat(none.status()).isEqualTo(403);
        assertThat(none.errors()).containsExactly(BAD_TOKEN);
        assertThat(bogus.status()).isEqualTo(403);
        assertThat(bogus.errors()).containsExactly(BAD_TOKEN);
    }

    @Test
    void unknownThingsAre404AndWrongVerbs405AsVaultRoutesThem() throws Exception {
        Answer mount = get("nosuchmount/thing");
        assertThat(mount.status()).isEqualTo(404);
        assertThat(mount.errors())
                .containsExactly("no handler for route \"nosuchmount/thing\". route entry not found.");
        Answer key = get("transit/keys/absent");
        assertThat(key.status()).isEqualTo(404);
        assertThat(key.errors()).isEmpty();
        Answer path = post("transit/frobnicate/x", Map.of());
        assertThat(path.status()).isEqualTo(404);
        assertThat(path.errors()).containsExactly("1 error occurred:\n\t* unsupported path\n\n");
        Answer verb = get("transit/sign/x");
        assertThat(verb.status()).isEqualTo(405);
        assertThat(verb.errors()).containsExactly("1 error occurred:\n\t* unsupported operation\n\n");
        assertThat(get("transit/keys").status()).isEqualTo(405);
        assertThat(root("DELETE", "secret/destroy/x", null).status()).isEqualTo(405);
        assertThat(get("auth/token/revoke-self").status()).isEqualTo(405);
    }

    @Test
    void malformedJsonIs400WithoutEchoingTheBody() throws Exception {
        Answer a = post("transit/keys/k", "{\"type\": hunter2");
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.errors()).singleElement().asString().startsWith("failed to parse JSON input").doesNotContain(
                "hunter2");
        assertThat(vault.requestLog()).containsExactly("POST transit/keys/k");
    }

    @Test
    void tokenMayTravelAsABearerCredential() throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/auth/token/lookup-self"))
                .header("Authorization", "Bearer " + vault.rootToken()).GET().build();
        assertThat(http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void namespaceHeaderIsAccepted() throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/auth/token/lookup-self"))
                .header("X-Vault-Token", vault.rootToken()).header("X-Vault-Namespace", "team-a/").GET().build();
        HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.body()).doesNotContain("team-a");
    }

    // ---- tokens and AppRole ----------------------------------------------------------------------

    @Test
    void appRoleLoginIssuesATokenThatRenewsUpToItsMaxTtlAndExpires() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
        vault.setClock(clock);
        vault.enableAppRole("role-1", "secret-1", Duration.ofMinutes(10), true, Duration.ofMinutes(30));

        Answer wrong = call("POST", "auth/approle/login", null, Map.of("role_id", "role-1", "secret_id", "x"));
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.errors()).containsExactly("invalid role or secret ID");

        Answer login = call("POST", "auth/approle/login", null, Map.of("role_id", "role-1", "secret_id", "secret-1"));
        assertThat(login.status()).isEqualTo(200);
        JsonNode auth = login.body().get("auth");
        String token = auth.get("client_token").asText();
        assertThat(auth.get("accessor").asText()).isNotEmpty();
        assertThat(auth.get("lease_duration").asInt()).isEqualTo(600);
        assertThat(auth.get("renewable").asBoolean()).isTrue();
        assertThat(auth.get("token_policies").get(0).asText()).isEqualTo("default");
        assertThat(login.data().isNull()).isTrue();

        clock.advance(Duration.ofMinutes(4));
        JsonNode self = call("GET", "auth/token/lookup-self", token, null).data();
        assertThat(self.get("ttl").asInt()).isEqualTo(360);
        assertThat(OffsetDateTime.parse(self.get("expire_time").asText()).toInstant())
                .isEqualTo(Instant.parse("2026-01-01T00:10:00Z"));
        assertThat(self.get("renewable").asBoolean()).isTrue();

        Answer renewed = call("POST", "auth/token/renew-self", token, Map.of("increment", "20m"));
        assertThat(renewed.status()).isEqualTo(200);
        assertThat(renewed.body().get("auth").get("lease_duration").asInt()).isEqualTo(1200);

        clock.advance(Duration.ofMinutes(15));
        Answer capped = call("POST", "auth/token/renew-self", token, Map.of("increment", 3600));
        // Issued at 00:00 with a 30 min max TTL, renewed at 00:19: only 11 minutes remain.
        assertThat(capped.body().get("auth").get("lease_duration").asInt()).isEqualTo(660);
        assertThat(capped.body().get("warnings").get(0).asText()).contains("max_ttl");

        clock.advance(Duration.ofMinutes(11));
        Answer expired = call("GET", "auth/token/lookup-self", token, null);
        assertThat(expired.status()).isEqualTo(403);
        assertThat(expired.errors()).containsExactly(BAD_TOKEN);
        assertThat(call("POST", "auth/token/renew-self", token, Map.of()).status()).isEqualTo(403);
        // The root token never expires.
        assertThat(get("auth/token/lookup-self").status()).isEqualTo(200);
    }

    @Test
    void nonRenewableTokenRefusesRenewalAndRevokeSelfEndsIt() throws Exception {
        String token = vault.createToken(Duration.ofHours(1), false, Duration.ZERO);
        Answer renew = call("POST", "auth/token/renew-self", token, Map.of("increment", "1h"));
        assertThat(renew.status()).isEqualTo(400);
        assertThat(renew.errors()).containsExactly("lease is not renewable");

        Answer revoked = call("POST", "auth/token/revoke-self", token, null);
        assertThat(revoked.status()).isEqualTo(204);
        assertThat(revoked.body()).isNull();
        assertThat(call("GET", "auth/token/lookup-self", token, null).status()).isEqualTo(403);
    }

    @Test
    void renewalWithoutIncrementRestoresTheTokensOwnTtl() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-05-01T12:00:00Z"));
        vault.setClock(clock);
        String token = vault.createToken(Duration.ofMinutes(15), true, Duration.ofHours(2));
        clock.advance(Duration.ofMinutes(10));
        Answer renewed = call("POST", "auth/token/renew-self", token, null);
        assertThat(renewed.body().get("auth").get("lease_duration").asInt()).isEqualTo(900);
        assertThat(renewed.body().get("auth").get("client_token").asText()).isEqualTo(token);
        clock.advance(Duration.ofMinutes(14));
        assertThat(call("GET", "auth/token/lookup-self", token, null).data().get("ttl").asInt()).isEqualTo(60);
    }

    @Test
    void appRoleLoginWithoutRoleIdIsTheInternalErrorVaultGives() throws Exception {
        Answer a = call("POST", "auth/approle/login", null, Map.of("secret_id", "s"));
        assertThat(a.status()).isEqualTo(500);
        assertThat(a.errors()).containsExactly("missing role_id");
    }

    // ---- transit keys ----------------------------------------------------------------------------

    @Test
    void keyReadFormatsDifferForSymmetricAndAsymmetricKeys() throws Exception {
        assertThat(post("transit/keys/aes", Map.of()).status()).isEqualTo(200);
        assertThat(post("transit/keys/ec", Map.of("type", "ecdsa-p256")).status()).isEqualTo(200);

        JsonNode aes = get("transit/keys/aes").data();
        assertThat(aes.get("type").asText()).isEqualTo("aes256-gcm96");
        assertThat(aes.get("keys").get("1").isIntegralNumber()).isTrue();
        assertThat(aes.get("supports_signing").asBoolean()).isFalse();

        post("transit/keys/h", Map.of("type", "hmac", "key_size", 48));
        JsonNode hmac = get("transit/keys/h").data();
        assertThat(hmac.get("key_size").asInt()).isEqualTo(48);
        assertThat(hmac.has("keys")).isFalse();
        assertThat(hmac.get("latest_version").asInt()).isEqualTo(1);

        JsonNode ec = get("transit/keys/ec").data();
        assertThat(ec.get("type").asText()).isEqualTo("ecdsa-p256");
        assertThat(ec.get("latest_version").asInt()).isEqualTo(1);
        assertThat(ec.get("min_decryption_version").asInt()).isEqualTo(1);
        assertThat(ec.get("min_encryption_version").asInt()).isZero();
        assertThat(ec.get("min_available_version").asInt()).isZero();
        assertThat(ec.get("exportable").asBoolean()).isFalse();
        assertThat(ec.get("deletion_allowed").asBoolean()).isFalse();
        assertThat(ec.get("supports_signing").asBoolean()).isTrue();
        JsonNode v1 = ec.get("keys").get("1");
        assertThat(v1.get("name").asText()).isEqualTo("P-256");
        assertThat(OffsetDateTime.parse(v1.get("creation_time").asText())).isNotNull();
        assertThat(publicKey("ec", 1).getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void creatingAnExistingKeyChangesNothing() throws Exception {
        post("transit/keys/k", Map.of("type", "ecdsa-p256"));
        String before = get("transit/keys/k").data().get("keys").toString();
        Answer again = post("transit/keys/k", Map.of("type", "rsa-2048"));
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body().get("warnings").get(0).asText()).isEqualTo("key k already existed");
        JsonNode after = get("transit/keys/k").data();
        assertThat(after.get("type").asText()).isEqualTo("ecdsa-p256");
        assertThat(after.get("keys").toString()).isEqualTo(before);
    }

    @Test
    void unsupportedKeyTypeIs400NamingTheType() throws Exception {
        Answer a = post("transit/keys/k", Map.of("type", "ed25519"));
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.errors()).singleElement().asString().contains("ed25519");
        assertThat(get("transit/keys/k").status()).isEqualTo(404);
    }

    @Test
    void listWorksWithTheListMethodAndWithQueryParameter() throws Exception {
        assertThat(root("LIST", "transit/keys", null).status()).isEqualTo(404);
        post("transit/keys/b", Map.of("type", "hmac"));
        post("transit/keys/a", Map.of());
        assertThat(root("LIST", "transit/keys", null).data().get("keys").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(get("transit/keys?list=true").data().get("keys").toString()).isEqualTo("[\"a\",\"b\"]");
    }

    @Test
    void deletionNeedsDeletionAllowed() throws Exception {
        post("transit/keys/k", Map.of("type", "ecdsa-p256"));
        Answer refused = root("DELETE", "transit/keys/k", null);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.errors()).containsExactly("error deleting policy k: deletion is not allowed for this key");

        assertThat(post("transit/keys/k/config", Map.of("deletion_allowed", true)).status()).isEqualTo(200);
        assertThat(root("DELETE", "transit/keys/k", null).status()).isEqualTo(204);
        assertThat(get("transit/keys/k").status()).isEqualTo(404);
        assertThat(root("DELETE", "transit/keys/k", null).errors())
                .containsExactly("error deleting policy k: could not delete key; not found");
    }

    // ---- signing ---------------------------------------------------------------------------------

    @Test
    void ecdsaP256Asn1SignatureVerifiesWithThePlainJdk() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        Answer a = post("transit/sign/ec", Map.of("input", b64(MESSAGE)));
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.data().get("key_version").asInt()).isEqualTo(1);
        Signature jdk = Signature.getInstance("SHA256withECDSA");
        jdk.initVerify(publicKey("ec", 1));
        jdk.update(MESSAGE);
        assertThat(jdk.verify(signatureBytes(a.data().get("signature").asText(), 1))).isTrue();
    }

    @Test
    void ecdsaP384WithSha384InThePathAndJwsMarshaling() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p384"));
        Answer a = post("transit/sign/ec/sha2-384", Map.of("input", b64(MESSAGE), "marshaling_algorithm", "jws"));
        String sig = a.data().get("signature").asText();
        byte[] raw = Base64.getUrlDecoder().decode(sig.substring("vault:v1:".length()));
        assertThat(raw).hasSize(96);
        Signature jdk = Signature.getInstance("SHA384withECDSAinP1363Format");
        jdk.initVerify(publicKey("ec", 1));
        jdk.update(MESSAGE);
        assertThat(jdk.verify(raw)).isTrue();

        Answer ok = post("transit/verify/ec/sha2-384",
                Map.of("input", b64(MESSAGE), "signature", sig, "marshaling_algorithm", "jws"));
        assertThat(ok.data().get("valid").asBoolean()).isTrue();
    }

    @Test
    void prehashedEcdsaSignsTheDigestItself() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        Answer a = post("transit/sign/ec", Map.of("input", b64(sha256(MESSAGE)), "prehashed", true,
                "hash_algorithm", "sha2-256"));
        Signature jdk = Signature.getInstance("SHA256withECDSA");
        jdk.initVerify(publicKey("ec", 1));
        jdk.update(MESSAGE);
        assertThat(jdk.verify(signatureBytes(a.data().get("signature").asText(), 1))).isTrue();
    }

    @Test
    void rsaPkcs1v15AndPssBothVerifyWithTheJdk() throws Exception {
        post("transit/keys/rsa", Map.of("type", "rsa-2048"));
        PublicKey pub = publicKey("rsa", 1);

        Answer pkcs = post("transit/sign/rsa", Map.of("input", b64(MESSAGE), "signature_algorithm", "pkcs1v15"));
        Signature v15 = Signature.getInstance("SHA256withRSA");
        v15.initVerify(pub);
        v15.update(MESSAGE);
        assertThat(v15.verify(signatureBytes(pkcs.data().get("signature").asText(), 1))).isTrue();

        // pss is the default, with Go's "auto" salt: as long as the modulus allows (256 - 32 - 2 bytes).
        Answer pss = post("transit/sign/rsa", Map.of("input", b64(MESSAGE)));
        Signature jdkPss = Signature.getInstance("RSASSA-PSS");
        jdkPss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 222, 1));
        jdkPss.initVerify(pub);
        jdkPss.update(MESSAGE);
        assertThat(jdkPss.verify(signatureBytes(pss.data().get("signature").asText(), 1))).isTrue();

        Answer hashSalt = post("transit/sign/rsa", Map.of("input", b64(sha256(MESSAGE)), "prehashed", true,
                "salt_length", "hash"));
        Signature jdkHashSalt = Signature.getInstance("RSASSA-PSS");
        jdkHashSalt.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        jdkHashSalt.initVerify(pub);
        jdkHashSalt.update(MESSAGE);
        assertThat(jdkHashSalt.verify(signatureBytes(hashSalt.data().get("signature").asText(), 1))).isTrue();

        // The verify endpoint finds the salt length itself ("auto").
        assertThat(post("transit/verify/rsa", Map.of("input", b64(MESSAGE), "signature",
                hashSalt.data().get("signature").asText())).data().get("valid").asBoolean()).isTrue();
    }

    @Test
    void rsa3072PrehashedPkcs1v15WithSha512() throws Exception {
        post("transit/keys/rsa", Map.of("type", "rsa-3072"));
        byte[] digest = MessageDigest.getInstance("SHA-512").digest(MESSAGE);
        Answer a = post("transit/sign/rsa/sha2-512",
                Map.of("input", b64(digest), "prehashed", true, "signature_algorithm", "pkcs1v15"));
        byte[] sig = signatureBytes(a.data().get("signature").asText(), 1);
        assertThat(sig).hasSize(384);
        Signature jdk = Signature.getInstance("SHA512withRSA");
        jdk.initVerify(publicKey("rsa", 1));
        jdk.update(MESSAGE);
        assertThat(jdk.verify(sig)).isTrue();
    }

    @Test
    void verifyTellsGoodFromBadSignatures() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        String sig = post("transit/sign/ec", Map.of("input", b64(MESSAGE))).data().get("signature").asText();
        assertThat(post("transit/verify/ec", Map.of("input", b64(MESSAGE), "signature", sig)).data().get("valid")
                .asBoolean()).isTrue();
        Answer other = post("transit/verify/ec", Map.of("input", b64("other".getBytes()), "signature", sig));
        assertThat(other.status()).isEqualTo(200);
        assertThat(other.data().get("valid").asBoolean()).isFalse();
    }

    @Test
    void signingWithAMissingKeyOrAnAesKeyIs400() throws Exception {
        Answer missing = post("transit/sign/nope", Map.of("input", b64(MESSAGE)));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.errors()).containsExactly("signing key not found");
        post("transit/keys/aes", Map.of());
        Answer aes = post("transit/sign/aes", Map.of("input", b64(MESSAGE)));
        assertThat(aes.status()).isEqualTo(400);
        assertThat(aes.errors()).singleElement().asString().contains("does not support signing");
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        // Vault signs a missing input as the empty string.
        String empty = post("transit/sign/ec", Map.of()).data().get("signature").asText();
        assertThat(post("transit/verify/ec", Map.of("input", "", "signature", empty)).data().get("valid")
                .asBoolean()).isTrue();
        Answer badHash = post("transit/sign/ec/sha2-999", Map.of("input", b64(MESSAGE)));
        assertThat(badHash.errors()).containsExactly("invalid hash algorithm \"sha2-999\"");
        Answer none = post("transit/sign/ec", Map.of("input", b64(sha256(MESSAGE)), "hash_algorithm", "none"));
        assertThat(none.errors())
                .containsExactly("hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15");
        assertThat(post("transit/verify/nope", Map.of("input", "", "signature", empty)).errors())
                .containsExactly("signature verification key not found");
    }

    @Test
    void rotationAndMinimumVersionsGovernWhichVersionSigns() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        Answer rotated = post("transit/keys/ec/rotate", null);
        assertThat(rotated.status()).isEqualTo(200);
        assertThat(rotated.data().get("latest_version").asInt()).isEqualTo(2);
        post("transit/keys/ec/rotate", null);

        assertThat(post("transit/sign/ec", Map.of("input", b64(MESSAGE))).data().get("key_version").asInt())
                .isEqualTo(3);
        Answer v1 = post("transit/sign/ec", Map.of("input", b64(MESSAGE), "key_version", 1));
        assertThat(v1.data().get("signature").asText()).startsWith("vault:v1:");
        String oldSig = v1.data().get("signature").asText();

        Answer tooHigh = post("transit/keys/ec/config", Map.of("min_encryption_version", 4));
        assertThat(tooHigh.status()).isEqualTo(400);
        assertThat(tooHigh.errors()).singleElement().asString().contains("latest key version is 3");

        assertThat(post("transit/keys/ec/config", Map.of("min_decryption_version", 2, "min_encryption_version", 2))
                .status()).isEqualTo(200);
        Answer below = post("transit/sign/ec", Map.of("input", b64(MESSAGE), "key_version", 1));
        assertThat(below.status()).isEqualTo(400);
        assertThat(below.errors()).singleElement().asString().contains("minimum encryption key version");
        Answer oldVerify = post("transit/verify/ec", Map.of("input", b64(MESSAGE), "signature", oldSig));
        assertThat(oldVerify.status()).isEqualTo(400);

        Answer inverted = post("transit/keys/ec/config", Map.of("min_decryption_version", 3,
                "min_encryption_version", 2));
        assertThat(inverted.status()).isEqualTo(400);
        assertThat(get("transit/keys/ec").data().get("min_decryption_version").asInt()).isEqualTo(2);
    }

    @Test
    void trimFollowsVaultsRules() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        post("transit/keys/ec/rotate", null);
        post("transit/keys/ec/rotate", null);

        Answer noMinEnc = post("transit/keys/ec/trim", Map.of("min_available_version", 1));
        assertThat(noMinEnc.status()).isEqualTo(400);
        post("transit/keys/ec/config", Map.of("min_decryption_version", 2, "min_encryption_version", 3));
        assertThat(post("transit/keys/ec/trim", Map.of("min_available_version", 3)).status()).isEqualTo(400);
        assertThat(post("transit/keys/ec/trim", Map.of("min_available_version", 0)).status()).isEqualTo(400);
        assertThat(post("transit/keys/ec/trim", Map.of()).errors()).containsExactly("missing min_available_version");

        Answer trimmed = post("transit/keys/ec/trim", Map.of("min_available_version", 2));
        assertThat(trimmed.status()).isEqualTo(204);
        JsonNode key = get("transit/keys/ec").data();
        assertThat(key.get("min_available_version").asInt()).isEqualTo(2);
        assertThat(key.get("keys").has("1")).isFalse();
        assertThat(key.get("keys").has("2")).isTrue();

        Answer backwards = post("transit/keys/ec/trim", Map.of("min_available_version", 1));
        assertThat(backwards.errors()).containsExactly("minimum available version cannot be decremented");
        // A trimmed version is gone for good: lowering the minimum below it is refused.
        assertThat(post("transit/keys/ec/config", Map.of("min_decryption_version", 1)).status()).isEqualTo(400);
    }

    // ---- hmac, random ----------------------------------------------------------------------------

    @Test
    void hmacIsDeterministicPerVersionAndChangesAcrossVersions() throws Exception {
        post("transit/keys/h", Map.of("type", "hmac"));
        String first = post("transit/hmac/h", Map.of("input", b64(MESSAGE))).data().get("hmac").asText();
        String again = post("transit/hmac/h/sha2-256", Map.of("input", b64(MESSAGE))).data().get("hmac").asText();
        assertThat(first).startsWith("vault:v1:").isEqualTo(again);
        assertThat(Base64.getDecoder().decode(first.substring(9))).hasSize(32);
        String sha512 = post("transit/hmac/h/sha2-512", Map.of("input", b64(MESSAGE))).data().get("hmac").asText();
        assertThat(Base64.getDecoder().decode(sha512.substring(9))).hasSize(64);

        post("transit/keys/h/rotate", null);
        String second = post("transit/hmac/h", Map.of("input", b64(MESSAGE))).data().get("hmac").asText();
        assertThat(second).startsWith("vault:v2:");
        assertThat(second.substring(9)).isNotEqualTo(first.substring(9));
        assertThat(post("transit/hmac/h", Map.of("input", b64(MESSAGE), "key_version", 1)).data().get("hmac")
                .asText()).isEqualTo(first);

        assertThat(post("transit/verify/h", Map.of("input", b64(MESSAGE), "hmac", first)).data().get("valid")
                .asBoolean()).isTrue();
        assertThat(post("transit/verify/h", Map.of("input", b64("x".getBytes()), "hmac", first)).data()
                .get("valid").asBoolean()).isFalse();

        post("transit/keys/h/config", Map.of("min_encryption_version", 2));
        Answer old = post("transit/hmac/h", Map.of("input", b64(MESSAGE), "key_version", 1));
        assertThat(old.status()).isEqualTo(400);
        assertThat(post("transit/hmac/nope", Map.of("input", b64(MESSAGE))).errors())
                .containsExactly("encryption key not found");
    }

    @Test
    void randomBytesInBase64AndHex() throws Exception {
        assertThat(Base64.getDecoder().decode(post("transit/random", null).data().get("random_bytes").asText()))
                .hasSize(32);
        assertThat(post("transit/random/16", Map.of("format", "hex")).data().get("random_bytes").asText())
                .matches("[0-9a-f]{32}");
        assertThat(Base64.getDecoder().decode(post("transit/random", Map.of("bytes", 8)).data()
                .get("random_bytes").asText())).hasSize(8);
        assertThat(post("transit/random", Map.of("format", "base32")).status()).isEqualTo(400);
    }

    @Test
    void rsaHashNoneSignsAPreparedDigestInfoAsIs() throws Exception {
        post("transit/keys/rsa", Map.of("type", "rsa-2048"));
        byte[] digestInfo = new org.bouncycastle.asn1.x509.DigestInfo(
                new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                        org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256,
                        org.bouncycastle.asn1.DERNull.INSTANCE),
                sha256(MESSAGE)).getEncoded();
        Answer a = post("transit/sign/rsa/none", Map.of("input", b64(digestInfo), "prehashed", true,
                "signature_algorithm", "pkcs1v15"));
        Signature jdk = Signature.getInstance("SHA256withRSA");
        jdk.initVerify(publicKey("rsa", 1));
        jdk.update(MESSAGE);
        assertThat(jdk.verify(signatureBytes(a.data().get("signature").asText(), 1))).isTrue();
    }

    @Test
    void exportNeedsExportableAndGivesVaultsPemForms() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        Answer refused = get("transit/export/signing-key/ec");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.errors()).containsExactly("private key material is not exportable");
        assertThat(get("transit/export/public-key/ec").data().get("keys").get("1").asText())
                .startsWith("-----BEGIN PUBLIC KEY-----");
        assertThat(get("transit/export/signing-key/absent").status()).isEqualTo(404);

        post("transit/keys/ec/config", Map.of("exportable", true));
        // exportable can only ever be switched on: a later false is ignored, as Vault does.
        post("transit/keys/ec/config", Map.of("exportable", false));
        assertThat(get("transit/keys/ec").data().get("exportable").asBoolean()).isTrue();
        post("transit/keys/ec/rotate", null);

        Answer all = get("transit/export/signing-key/ec");
        assertThat(all.data().get("keys").size()).isEqualTo(2);
        String pem = get("transit/export/signing-key/ec/1").data().get("keys").get("1").asText();
        assertThat(pem).startsWith("-----BEGIN EC PRIVATE KEY-----\n").endsWith("-----END EC PRIVATE KEY-----");
        java.security.KeyPair pair;
        try (var parser = new org.bouncycastle.openssl.PEMParser(new java.io.StringReader(pem))) {
            pair = new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter()
                    .getKeyPair((org.bouncycastle.openssl.PEMKeyPair) parser.readObject());
        }
        assertThat(pair.getPublic().getEncoded()).isEqualTo(publicKey("ec", 1).getEncoded());
        Signature mine = Signature.getInstance("SHA256withECDSA");
        mine.initSign(pair.getPrivate());
        mine.update(MESSAGE);
        String sig = "vault:v1:" + b64(mine.sign());
        assertThat(post("transit/verify/ec", Map.of("input", b64(MESSAGE), "signature", sig)).data().get("valid")
                .asBoolean()).isTrue();

        assertThat(get("transit/export/signing-key/ec/latest").data().get("keys").has("2")).isTrue();
        post("transit/keys/ec/config", Map.of("min_decryption_version", 2));
        assertThat(get("transit/export/signing-key/ec/1").errors())
                .containsExactly("version for export is below minimum decryption version");
    }

    @Test
    void exportedRsaKeyIsPkcs1AndHmacKeyReproducesTheHmac() throws Exception {
        post("transit/keys/rsa", Map.of("type", "rsa-2048", "exportable", true));
        String rsa = get("transit/export/signing-key/rsa/1").data().get("keys").get("1").asText();
        assertThat(rsa).startsWith("-----BEGIN RSA PRIVATE KEY-----\n").endsWith("-----END RSA PRIVATE KEY-----\n");

        post("transit/keys/h", Map.of("type", "hmac", "exportable", true));
        byte[] key = Base64.getDecoder().decode(get("transit/export/hmac-key/h/1").data().get("keys").get("1")
                .asText());
        assertThat(key).hasSize(32);
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
        String expected = "vault:v1:" + b64(mac.doFinal(MESSAGE));
        assertThat(post("transit/hmac/h", Map.of("input", b64(MESSAGE))).data().get("hmac").asText())
                .isEqualTo(expected);
    }

    @Test
    void encryptDecryptAndPlaintextDataKeysRoundTrip() throws Exception {
        post("transit/keys/aes", Map.of());
        String ct = post("transit/encrypt/aes", Map.of("plaintext", b64(MESSAGE))).data().get("ciphertext")
                .asText();
        assertThat(ct).startsWith("vault:v1:");
        assertThat(post("transit/decrypt/aes", Map.of("ciphertext", ct)).data().get("plaintext").asText())
                .isEqualTo(b64(MESSAGE));

        JsonNode dk = post("transit/datakey/plaintext/aes", Map.of("bits", 256)).data();
        assertThat(Base64.getDecoder().decode(dk.get("plaintext").asText())).hasSize(32);
        assertThat(post("transit/decrypt/aes", Map.of("ciphertext", dk.get("ciphertext").asText())).data()
                .get("plaintext").asText()).isEqualTo(dk.get("plaintext").asText());
        assertThat(post("transit/datakey/wrapped/aes", Map.of()).data().has("plaintext")).isFalse();
    }

    @Test
    void concurrentSigningAndRotationStayConsistent() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Answer>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < 80; i++) {
                int n = i;
                futures.add(pool.submit(() -> n % 20 == 0 ? post("transit/keys/ec/rotate", null)
                        : post("transit/sign/ec", Map.of("input", b64(MESSAGE)))));
            }
            for (var f : futures) {
                Answer a = f.get();
                assertThat(a.status()).isEqualTo(200);
                if (a.data().has("signature")) {
                    String sig = a.data().get("signature").asText();
                    assertThat(post("transit/verify/ec", Map.of("input", b64(MESSAGE), "signature", sig)).data()
                            .get("valid").asBoolean()).isTrue();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(get("transit/keys/ec").data().get("latest_version").asInt()).isEqualTo(5);
        assertThat(vault.requests("transit/sign/ec")).isEqualTo(76);
    }

    // ---- KV version 2 ----------------------------------------------------------------------------

    @Test
    void kvWriteReadAndVersionedReads() throws Exception {
        Answer w1 = post("secret/data/agents/a1", Map.of("data", Map.of("api_key", "k-1")));
        assertThat(w1.status()).isEqualTo(200);
        assertThat(w1.data().get("version").asInt()).isEqualTo(1);
        assertThat(w1.data().get("destroyed").asBoolean()).isFalse();
        assertThat(w1.data().get("deletion_time").asText()).isEmpty();
        assertThat(OffsetDateTime.parse(w1.data().get("created_time").asText())).isNotNull();
        post("secret/data/agents/a1", Map.of("data", Map.of("api_key", "k-2")));

        Answer latest = get("secret/data/agents/a1");
        assertThat(latest.data().get("data").get("api_key").asText()).isEqualTo("k-2");
        assertThat(latest.data().get("metadata").get("version").asInt()).isEqualTo(2);
        assertThat(get("secret/data/agents/a1?version=1").data().get("data").get("api_key").asText())
                .isEqualTo("k-1");
        assertThat(get("secret/data/agents/a1?version=7").status()).isEqualTo(404);
        Answer absent = get("secret/data/agents/none");
        assertThat(absent.status()).isEqualTo(404);
        assertThat(absent.errors()).isEmpty();
        assertThat(post("secret/data/agents/a1", Map.of("options", Map.of())).errors())
                .containsExactly("no data provided");
    }

    @Test
    void kvCustomMetadataShowsOnEveryVersion() throws Exception {
        post("secret/metadata/agents/a9", Map.of("custom_metadata", Map.of("owner", "team-a"), "max_versions", 3));
        Answer w = post("secret/data/agents/a9", Map.of("data", Map.of("k", "v")));
        assertThat(w.data().get("custom_metadata").get("owner").asText()).isEqualTo("team-a");
        assertThat(get("secret/data/agents/a9").data().get("metadata").get("custom_metadata").get("owner").asText())
                .isEqualTo("team-a");
        JsonNode meta = get("secret/metadata/agents/a9").data();
        assertThat(meta.get("max_versions").asInt()).isEqualTo(3);
        assertThat(meta.get("custom_metadata").get("owner").asText()).isEqualTo("team-a");
    }

    @Test
    void kvCheckAndSet() throws Exception {
        Answer create = post("secret/data/c", Map.of("data", Map.of("v", "1"), "options", Map.of("cas", 0)));
        assertThat(create.status()).isEqualTo(200);
        Answer again = post("secret/data/c", Map.of("data", Map.of("v", "x"), "options", Map.of("cas", 0)));
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.errors()).containsExactly("check-and-set parameter did not match the current version");
        assertThat(post("secret/data/c", Map.of("data", Map.of("v", "2"), "options", Map.of("cas", 1))).data()
                .get("version").asInt()).isEqualTo(2);
        assertThat(post("secret/data/c", Map.of("data", Map.of("v", "3"), "options", Map.of("cas", 1))).status())
                .isEqualTo(400);
        assertThat(get("secret/data/c").data().get("data").get("v").asText()).isEqualTo("2");

        assertThat(post("secret/metadata/c", Map.of("cas_required", true)).status()).isEqualTo(204);
        assertThat(post("secret/data/c", Map.of("data", Map.of("v", "4"))).errors())
                .containsExactly("check-and-set parameter required for this call");
    }

    @Test
    void kvDeletedAndDestroyedVersionsAre404WithMetadata() throws Exception {
        post("secret/data/d", Map.of("data", Map.of("v", "1")));
        post("secret/data/d", Map.of("data", Map.of("v", "2")));
        post("secret/data/d", Map.of("data", Map.of("v", "3")));

        assertThat(post("secret/delete/d", Map.of("versions", List.of(3))).status()).isEqualTo(204);
        Answer deleted = get("secret/data/d");
        assertThat(deleted.status()).isEqualTo(404);
        assertThat(deleted.data().get("data").isNull()).isTrue();
        assertThat(deleted.data().get("metadata").get("version").asInt()).isEqualTo(3);
        assertThat(deleted.data().get("metadata").get("deletion_time").asText()).isNotEmpty();

        assertThat(post("secret/undelete/d", Map.of("versions", List.of(3))).status()).isEqualTo(204);
        assertThat(get("secret/data/d").data().get("data").get("v").asText()).isEqualTo("3");

        Answer destroy = post("secret/destroy/d", Map.of("versions", List.of(1, 2)));
        assertThat(destroy.status()).isEqualTo(204);
        assertThat(destroy.body()).isNull();
        Answer destroyed = get("secret/data/d?version=1");
        assertThat(destroyed.status()).isEqualTo(404);
        assertThat(destroyed.data().get("metadata").get("destroyed").asBoolean()).isTrue();
        // A destroyed version cannot be brought back.
        post("secret/undelete/d", Map.of("versions", List.of(1)));
        assertThat(get("secret/data/d?version=1").status()).isEqualTo(404);

        JsonNode meta = get("secret/metadata/d").data();
        assertThat(meta.get("current_version").asInt()).isEqualTo(3);
        assertThat(meta.get("oldest_version").asInt()).isEqualTo(1);
        assertThat(meta.get("versions").get("2").get("destroyed").asBoolean()).isTrue();
        assertThat(meta.get("versions").get("3").get("deletion_time").asText()).isEmpty();
        assertThat(post("secret/destroy/d", Map.of()).errors()).containsExactly("no version number provided");

        assertThat(root("DELETE", "secret/data/d", null).status()).isEqualTo(204);
        assertThat(get("secret/data/d").status()).isEqualTo(404);
        assertThat(root("DELETE", "secret/metadata/d", null).status()).isEqualTo(204);
        assertThat(get("secret/metadata/d").status()).isEqualTo(404);
    }

    @Test
    void kvKeepsTenVersionsByDefaultAndHonoursMaxVersions() throws Exception {
        for (int i = 1; i <= 12; i++) {
            post("secret/data/m", Map.of("data", Map.of("v", Integer.toString(i))));
        }
        JsonNode meta = get("secret/metadata/m").data();
        assertThat(meta.get("max_versions").asInt()).isZero();
        assertThat(meta.get("oldest_version").asInt()).isEqualTo(3);
        assertThat(meta.get("versions").size()).isEqualTo(10);
        assertThat(get("secret/data/m?version=2").status()).isEqualTo(404);

        post("secret/metadata/m", Map.of("max_versions", 2));
        post("secret/data/m", Map.of("data", Map.of("v", "13")));
        JsonNode after = get("secret/metadata/m").data();
        assertThat(after.get("oldest_version").asInt()).isEqualTo(12);
        assertThat(after.get("current_version").asInt()).isEqualTo(13);
    }

    @Test
    void kvListShowsFoldersWithTrailingSlash() throws Exception {
        post("secret/data/agents/a1", Map.of("data", Map.of("k", "v")));
        post("secret/data/agents/a2", Map.of("data", Map.of("k", "v")));
        post("secret/data/agents/team/a3", Map.of("data", Map.of("k", "v")));
        assertThat(root("LIST", "secret/metadata/agents", null).data().get("keys").toString())
                .isEqualTo("[\"a1\",\"a2\",\"team/\"]");
        assertThat(get("secret/metadata/agents/?list=true").data().get("keys").size()).isEqualTo(3);
        assertThat(root("LIST", "secret/metadata/nothing", null).status()).isEqualTo(404);
    }

    @Test
    void kvPatchMergesIntoTheLatestVersion() throws Exception {
        post("secret/data/p", Map.of("data", Map.of("a", "1", "b", "2")));
        HttpRequest r = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/secret/data/p"))
                .header("X-Vault-Token", vault.rootToken()).header("Content-Type", "application/merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"data\":{\"b\":null,\"c\":\"3\"}}"))
                .build();
        assertThat(http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        Answer plainJson = root("PATCH", "secret/data/p", Map.of("data", Map.of("c", "4")));
        assertThat(plainJson.status()).isEqualTo(415);
        JsonNode data = get("secret/data/p").data().get("data");
        assertThat(data.toString()).isEqualTo("{\"a\":\"1\",\"c\":\"3\"}");
    }

    @Test
    void kvDeleteVersionAfterFollowsTheClock() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-03-01T00:00:00Z"));
        vault.setClock(clock);
        assertThat(post("secret/metadata/t", Map.of("delete_version_after", "1h")).status()).isEqualTo(204);
        post("secret/data/t", Map.of("data", Map.of("k", "v")));
        assertThat(get("secret/data/t").status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(61));
        Answer gone = get("secret/data/t");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.data().get("metadata").get("deletion_time").asText()).startsWith("2026-03-01T01:00:00");
    }

    @Test
    void extraKvMount() throws Exception {
        vault.mountKv("kv-agents");
        post("kv-agents/data/x", Map.of("data", Map.of("k", "v")));
        assertThat(get("kv-agents/data/x").data().get("data").get("k").asText()).isEqualTo("v");
        assertThat(get("secret/data/x").status()).isEqualTo(404);

        // A mount nested below another takes the paths under it, as the longest prefix does in Vault.
        vault.mountKv("secret/team");
        post("secret/team/data/y", Map.of("data", Map.of("k", "team")));
        assertThat(get("secret/team/data/y").body().get("mount_type").asText()).isEqualTo("kv");
        assertThat(root("LIST", "secret/metadata", null).status()).isEqualTo(404);
    }

    // ---- failure modes ---------------------------------------------------------------------------

    @Test
    void sealedVaultAnswers503EverywhereButHealth() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        vault.seal();
        Answer a = get("transit/keys/ec");
        assertThat(a.status()).isEqualTo(503);
        assertThat(a.errors()).containsExactly("Vault is sealed");
        assertThat(call("POST", "auth/approle/login", null, Map.of("role_id", "r")).status()).isEqualTo(503);
        assertThat(call("GET", "sys/seal-status", null, null).body().get("sealed").asBoolean()).isTrue();
        assertThat(call("GET", "sys/health", null, null).status()).isEqualTo(503);

        vault.unseal();
        assertThat(get("transit/keys/ec").status()).isEqualTo(200);
        assertThat(call("GET", "sys/health", null, null).status()).isEqualTo(200);
    }

    @Test
    void deniedPrefixAnswers403UntilAllowed() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        vault.deny("transit/sign/");
        Answer a = post("transit/sign/ec", Map.of("input", b64(MESSAGE)));
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.errors()).containsExactly(DENIED);
        assertThat(get("transit/keys/ec").status()).isEqualTo(200);
        vault.allowAll();
        assertThat(post("transit/sign/ec", Map.of("input", b64(MESSAGE))).status()).isEqualTo(200);

        vault.deny("secret/data/agents/");
        assertThat(post("secret/data/agents/a", Map.of("data", Map.of("k", "v"))).status()).isEqualTo(403);
        assertThat(post("secret/data/agents2", Map.of("data", Map.of("k", "v"))).status()).isEqualTo(200);
    }

    @Test
    void wronglyTypedFieldsAre400() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        Answer a = post("transit/sign/ec", Map.of("input", b64(MESSAGE), "key_version", "latest"));
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.errors()).singleElement().asString().contains("key_version");
        assertThat(post("transit/sign/ec", Map.of("input", "not base64!")).errors()).singleElement().asString()
                .startsWith("unable to decode input as base64");
        assertThat(post("transit/keys/ec/config", Map.of("deletion_allowed", "maybe")).status()).isEqualTo(400);
    }

    @Test
    void injectedFailuresAnswerTheGivenStatusThenStop() throws Exception {
        vault.failNext(500, 2);
        assertThat(get("auth/token/lookup-self").status()).isEqualTo(500);
        assertThat(get("auth/token/lookup-self").errors()).isNotEmpty();
        assertThat(get("auth/token/lookup-self").status()).isEqualTo(200);
        vault.failNext(429, 1);
        assertThat(get("auth/token/lookup-self").status()).isEqualTo(429);
        assertThat(vault.requests("auth/token/")).isEqualTo(4);
        assertThat(vault.requests("transit/")).isZero();
    }

    @Test
    void requestLogHasMethodAndPathButNeverBodies() throws Exception {
        post("transit/keys/ec", Map.of("type", "ecdsa-p256"));
        post("transit/sign/ec", Map.of("input", b64("secret-value".getBytes())));
        root("LIST", "transit/keys", null);
        assertThat(vault.requestLog()).containsExactly("POST transit/keys/ec", "POST transit/sign/ec",
                "LIST transit/keys");
        assertThat(String.join("\n", vault.requestLog())).doesNotContain(b64("secret-value".getBytes()));
    }

    @Test
    void extraTransitMountIsIndependent() throws Exception {
        vault.mountTransit("transit-b");
        post("transit-b/keys/k", Map.of("type", "ecdsa-p256"));
        assertThat(get("transit-b/keys/k").status()).isEqualTo(200);
        assertThat(get("transit/keys/k").status()).isEqualTo(404);
    }
}
