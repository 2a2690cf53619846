package dev.rotakey.core;

/**
 * Newly generated material for one version: the plaintext, held only in memory until it has
 * been delivered, and the backend digest that is all the database ever sees of it.
 */
public record IssuedMaterial(Secret secret, String digest, String digestKeyId) {
    @Override
    public String toString() {
        return "IssuedMaterial{digestKeyId=" + digestKeyId + "}";
    }
}
