package dev.rotakey.usage;

/**
 * The {@code governance.usage:} section: usage telemetry and the baselines and anomalies drawn from it
 * (docs/governance.md).
 */
public class UsageFactory {
}
