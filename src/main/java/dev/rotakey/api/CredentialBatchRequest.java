package dev.rotakey.api;

import dev.rotakey.service.NewCredential;

import java.util.List;

/** The body of {@code POST /api/v1/credentials:batch}: the credentials to create, each as the single creation takes it. */
public record CredentialBatchRequest(List<NewCredential> credentials) {
}
