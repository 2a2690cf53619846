package dev.rotakey.targets.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;

/**
 * KV v2 reads and writes over plain HTTP with the root token, independent of the target's own
 * client: what the tests use to look behind the target's back and to play a concurrent writer.
 */
final class DirectKv {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final String address;
    private final String token;
    private final String mount;

    DirectKv(String address, String token, String mount) {
        this.address = address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
        this.token = token;
        this.mount = mount;
    }

    /** The data of {@code version} (0: latest), or empty when KV answers without data. */
    Optional<Map<String, String>> read(String path, int version) {
        JsonNode answer = send("GET", "/v1/" + mount + "/data/" + path + (version > 0 ? "?version=" + version : ""), null);
        JsonNode data = answer == null ? null : answer.path("data").get("data");
        if (data == null || data.isNull()) {
            return Optional.empty();
        }
        return Optional.of(JSON.convertValue(data, JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class)));
    }

    /** The metadata's {@code data}, or null when the path does not exist. */
    JsonNode metadata(String path) {
        JsonNode answer = send("GET", "/v1/" + mount + "/metadata/" + path, null);
        return answer == null ? null : answer.path("data");
    }

    int currentVersion(String path) {
        JsonNode metadata = metadata(path);
        return metadata == null ? 0 : metadata.path("current_version").asInt();
    }

    boolean destroyed(String path, int version) {
        return metadata(path).path("versions").path(Integer.toString(version)).path("destroyed").asBoolean();
    }

    /** Writes without check-and-set, as another tool would; returns the new version. */
    int write(String path, Map<String, String> data) {
        JsonNode answer = send("POST", "/v1/" + mount + "/data/" + path, Map.of("data", data));
        return answer.path("data").path("version").asInt();
    }

    /** The parsed answer, null on 404; any other error fails the test. */
    private JsonNode send(String method, String path, Object body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(address + path)).header("X-Vault-Token", token);
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                        .header("Content-Type", "application/json");
            }
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() == 404) {
                return null;
            }
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                        + new String(response.body()));
            }
            return response.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
