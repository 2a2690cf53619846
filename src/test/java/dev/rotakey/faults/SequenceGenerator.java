package dev.rotakey.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Draws a sequence of {@link Op}s from a seed: the same seed gives the same sequence, so that a failure can be
 * replayed. Weights favour what finds defects (rotations under faults) over what costs time (restarts, stalls).
 */
final class SequenceGenerator {
    private static final int MAX_CREDENTIALS = 3;

    private SequenceGenerator() {
    }

    static List<Op> generate(long seed) {
        Random r = new Random(seed);
        List<Op> ops = new ArrayList<>();
        int credentials = 0;
        ops.add(create(r, credentials++));
        int length = 4 + r.nextInt(9);
        while (ops.size() < length) {
            int c = r.nextInt(credentials);
            int roll = r.nextInt(100);
            if (roll < 10 && credentials < MAX_CREDENTIALS) {
                ops.add(create(r, credentials++));
            } else if (roll < 40) {
                ops.add(new Op.Rotate(c));
            } else if (roll < 64) {
                ops.add(fault(r));
            } else if (roll < 72) {
                ops.add(new Op.Heal());
            } else if (roll < 80) {
                ops.add(new Op.Revoke(c));
            } else if (roll < 83) {
                ops.add(new Op.Decommission(c));
            } else if (roll < 89) {
                ops.add(new Op.Ack(c));
            } else if (roll < 94) {
                ops.add(new Op.Pause(r.nextBoolean()));
            } else if (roll < 97) {
                ops.add(new Op.RotateCa());
            } else {
                ops.add(new Op.Restart());
            }
        }
        return ops;
    }

    private static Op create(Random r, int c) {
        CredentialKind[] kinds = CredentialKind.values();
        return new Op.Create(c, kinds[r.nextInt(kinds.length)], r.nextInt(4) == 0, r.nextBoolean());
    }

    private static Op fault(Random r) {
        Peer peer = Peer.values()[r.nextInt(Peer.values().length)];
        if (!peer.proxied()) {
            return new Op.Fault(peer, FaultProxy.Fault.REFUSE, 0);
        }
        List<FaultProxy.Fault> choices = new ArrayList<>(List.of(FaultProxy.Fault.REFUSE, FaultProxy.Fault.REFUSE,
                FaultProxy.Fault.DROP, FaultProxy.Fault.NONE));
        // A stall costs a timeout per attempt: rarer than the others.
        if (r.nextInt(4) == 0) {
            choices.add(FaultProxy.Fault.STALL);
        }
        if (peer.http()) {
            choices.addAll(List.of(FaultProxy.Fault.HTTP_500, FaultProxy.Fault.HTTP_401, FaultProxy.Fault.HTTP_403,
                    FaultProxy.Fault.HTTP_GARBAGE));
        }
        // A third of the network faults are transient: they hit the next few connections and clear themselves, so
        // that a step fails and its clean-up (or a retry) then succeeds.
        int connections = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 0;
        return new Op.Fault(peer, choices.get(r.nextInt(choices.size())), connections);
    }
}
