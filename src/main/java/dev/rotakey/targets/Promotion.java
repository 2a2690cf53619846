package dev.rotakey.targets;

/**
 * A version that has just been promoted to CURRENT, as one of its credential's bindings sees it: what a target may act
 * on afterwards ({@link Target#promoted}), such as telling the consumer to switch. Carries no material.
 */
public record Promotion(String agentId, String credentialId, String credentialType, int version, TargetBinding binding) {
}
