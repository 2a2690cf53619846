package dev.rotakey.backend;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.dropwizard.jackson.Discoverable;

/**
 * Configuration of one key backend, chosen by its {@code type} ({@code pkcs11}, …). Each
 * implementation is listed in {@code META-INF/services/dev.rotakey.backend.KeyBackendFactory}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
public interface KeyBackendFactory extends Discoverable {

    /**
     * Builds the backend named {@code name}. Secrets (PINs, tokens) are read here, once, so a
     * missing secret file stops start-up with a message naming the config key.
     */
    KeyBackend build(String name);
}
