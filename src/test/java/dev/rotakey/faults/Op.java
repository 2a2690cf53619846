package dev.rotakey.faults;

/**
 * One step of a fault-model sequence. Credentials are named by their index within the sequence, so that a
 * shrunk sequence (with steps left out) still means the same thing; a step about a credential that does not
 * exist (yet) in a shrunk sequence is skipped.
 */
sealed interface Op {
    /** Creates credential {@code c} of a kind; {@code acknowledged} makes revocation wait for consumer acks. */
    record Create(int c, CredentialKind kind, boolean acknowledged, boolean longGrace) implements Op {
        @Override
        public String toString() {
            return "create c" + c + " " + kind + (longGrace ? " grace=PT30S" : " grace=PT0.3S")
                    + (acknowledged ? " revokeWhen=acknowledged" : "");
        }
    }

    /** An operator's rotation ({@code POST /tasks/rotate}). */
    record Rotate(int c) implements Op {
        @Override
        public String toString() {
            return "rotate c" + c;
        }
    }

    /** An emergency revocation ({@code POST /tasks/revoke}). */
    record Revoke(int c) implements Op {
        @Override
        public String toString() {
            return "revoke c" + c;
        }
    }

    /** Decommissions the agent of credential {@code c} (each credential has an agent of its own). */
    record Decommission(int c) implements Op {
        @Override
        public String toString() {
            return "decommission c" + c;
        }
    }

    /** An operator acknowledges the CURRENT version of {@code c} for its consumer. */
    record Ack(int c) implements Op {
        @Override
        public String toString() {
            return "ack c" + c;
        }
    }

    /** The kill switch on ({@code pause}) or off. */
    record Pause(boolean pause) implements Op {
        @Override
        public String toString() {
            return pause ? "pause-rotations" : "resume-rotations";
        }
    }

    /** Rotates the agents' CA ({@code POST /tasks/rotate-ca}). */
    record RotateCa() implements Op {
        @Override
        public String toString() {
            return "rotate-ca";
        }
    }

    /** Stops and starts the daemon (graceful in-process; see {@link FaultDaemon#kill()} for the SIGKILL seam). */
    record Restart() implements Op {
        @Override
        public String toString() {
            return "restart";
        }
    }

    /** Injects a fault between Rotakey and one peer (NONE clears it), for the next {@code connections} only when positive. */
    record Fault(Peer peer, FaultProxy.Fault fault, int connections) implements Op {
        @Override
        public String toString() {
            return "fault " + peer + " " + fault + (connections > 0 ? " for " + connections + " connections" : "");
        }
    }

    /** Clears every fault. */
    record Heal() implements Op {
        @Override
        public String toString() {
            return "heal";
        }
    }
}
