package dev.rotakey.posture;

/** The {@code governance.posture:} section: the policy the posture report measures the fleet against. */
public class PostureFactory {
}
