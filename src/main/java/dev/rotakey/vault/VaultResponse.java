package dev.rotakey.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.ArrayList;
import java.util.List;

/**
 * One answer from Vault: its status and the parsed envelope ({@code data}, {@code auth},
 * {@code warnings}). A 404 on a read is an answer too ({@link #found()} false); other errors are
 * exceptions. {@link #toString()} shows only the status, since an {@code auth} block holds a token.
 */
public final class VaultResponse {
    private final int status;
    private final JsonNode body;

    VaultResponse(int status, JsonNode body) {
        this.status = status;
        this.body = body == null ? MissingNode.getInstance() : body;
    }

    /** The HTTP status (200, 204, or 404 for a read of something absent). */
    public int status() {
        return status;
    }

    /** False when Vault answered 404. */
    public boolean found() {
        return status != 404;
    }

    /** The {@code data} object; a missing node (never null) when absent. */
    public JsonNode data() {
        return body.path("data");
    }

    /** The {@code auth} object of a login or renewal; a missing node when absent. */
    public JsonNode auth() {
        return body.path("auth");
    }

    /** Vault's {@code warnings}, empty when none. */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        body.path("warnings").forEach(w -> out.add(w.asText()));
        return out;
    }

    /** The whole envelope; a missing node for 204 or 404. */
    public JsonNode body() {
        return body;
    }

    @Override
    public String toString() {
        return "VaultResponse{status=" + status + "}";
    }
}
