package dev.rotakey.openapi;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;

import java.util.Map;
import java.util.Set;

/**
 * The error answers an operation can give, each with the {@code ErrorBody} schema, derived from what the operation
 * takes: the authentication filter's 401/403/429 for operations behind a token, 404 for a path naming something,
 * 400/413/415/422 for what a body or parameter can get wrong, 409 for changes, 503 everywhere (database, backend,
 * or a node not ready).
 */
final class ErrorResponses {
    private static final Map<Integer, String> MEANING = Map.ofEntries(
            Map.entry(400, "Malformed request: JSON that does not parse, a parameter given twice"),
            Map.entry(401, "No token, or one that is unknown, expired or revoked (WWW-Authenticate: Bearer)"),
            Map.entry(403, "The token's role may not call this operation"),
            Map.entry(404, "Nothing of that name, or outside the caller's scope (an owner's token, an agent's certificate)"),
            Map.entry(409, "The request conflicts with the current state (an existing id, a decommissioned agent or "
                    + "retired credential, a rotation already running, a resource another credential holds)"),
            Map.entry(413, "The body is larger than http.maxRequestBody"),
            Map.entry(415, "The body is not application/json"),
            Map.entry(422, "A field or parameter is invalid; `field` names it"),
            Map.entry(429, "Too many failed authentications from this address; retry after the Retry-After header"),
            Map.entry(503, "The database, a key backend or this node is not available now; retry"));
    private static final Set<String> CHANGES = Set.of("POST", "PUT", "PATCH", "DELETE");

    private ErrorResponses() {
    }

    static void add(String method, String template, Operation op, boolean needsToken) {
        ApiResponses responses = op.getResponses() == null ? new ApiResponses() : op.getResponses();
        boolean takesBody = op.getRequestBody() != null;
        boolean takesInput = takesBody || (op.getParameters() != null && !op.getParameters().isEmpty())
                || template.startsWith("/tasks/");
        if (takesInput) {
            put(responses, 400);
            put(responses, 422);
        }
        if (needsToken) {
            put(responses, 401);
            put(responses, 403);
            put(responses, 429);
        }
        boolean names = template.contains("{") || (template.startsWith("/tasks/") && op.getParameters() != null
                && op.getParameters().stream().anyMatch(p -> Boolean.TRUE.equals(p.getRequired())));
        if (names) {
            put(responses, 404);
        }
        if (CHANGES.contains(method.toUpperCase(java.util.Locale.ROOT)) && (names || !template.startsWith("/tasks/"))) {
            put(responses, 409);
        }
        if (takesBody) {
            put(responses, 413);
            put(responses, 415);
        }
        put(responses, 503);
        ApiResponses ordered = new ApiResponses();
        new java.util.TreeMap<>(responses).forEach(ordered::addApiResponse);
        op.setResponses(ordered);
    }

    private static void put(ApiResponses responses, int code) {
        String key = Integer.toString(code);
        if (responses.containsKey(key)) {
            return;
        }
        responses.addApiResponse(key, new ApiResponse().description(MEANING.get(code)).content(new Content()
                .addMediaType("application/json", new MediaType()
                        .schema(new Schema<>().$ref("#/components/schemas/ErrorBody")))));
    }
}
