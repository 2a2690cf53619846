package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/** The audit trail's configuration: how its chain is checkpointed. */
public class AuditFactory {
    @Valid
    @NotNull
    private AuditCheckpointsFactory checkpoints = new AuditCheckpointsFactory();

    @JsonProperty
    public AuditCheckpointsFactory getCheckpoints() {
        return checkpoints;
    }

    @JsonProperty
    public void setCheckpoints(AuditCheckpointsFactory checkpoints) {
        this.checkpoints = checkpoints;
    }
}
