package dev.rotakey.resources;

import dev.rotakey.openapi.OpenApiDocument;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.Collection;
import java.util.function.Supplier;

/**
 * {@code GET /api/v1/openapi.json}: the API's OpenAPI contract, built once from the resources registered with Jersey
 * (so an endpoint cannot be added without appearing in it) and served as it was built.
 */
@Path("/api/v1/openapi.json")
@Tag(name = "meta")
public final class OpenApiResource {
    private final Supplier<Collection<Class<?>>> resources;
    private final String version;
    private volatile String document;

    /** {@code resources}: asked once, at the first request, when every resource has been registered. */
    public OpenApiResource(Supplier<Collection<Class<?>>> resources, String version) {
        this.resources = resources;
        this.version = version;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "This document: the OpenAPI 3 contract of both ports")
    public String get() {
        String d = document;
        if (d == null) {
            synchronized (this) {
                if (document == null) {
                    document = OpenApiDocument.json(OpenApiDocument.build(resources.get(), version));
                }
                d = document;
            }
        }
        return d;
    }
}
