package dev.rotakey.audit;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/**
 * What a check of the whole audit chain found: whether it is intact, how far it goes and how far signed checkpoints
 * vouch for it, and the first broken link if any.
 *
 * @param events         chained events checked
 * @param checkpoints    checkpoints whose signature and hash were checked
 * @param unsigned       events after the last checkpoint: intact as far as their hashes go, not yet signed
 * @param firstBreak     the first problem, in chain order; null when intact
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditVerification(boolean intact, long events, long checkpoints, long headSeq, String headHash,
                                Long lastCheckpointSeq, Instant lastCheckpointAt, long unsigned, Break firstBreak) {
    /**
     * A broken link: the event (its number in the chain, or for a row with no place in it its id) and what is wrong.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Break(Long seq, Long id, String problem) {
    }
}
