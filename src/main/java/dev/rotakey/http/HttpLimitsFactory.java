package dev.rotakey.http;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.DataSize;
import io.dropwizard.validation.MaxDataSize;
import io.dropwizard.validation.MinDataSize;
import jakarta.validation.constraints.NotNull;

/**
 * The {@code http:} section: limits both ports apply to every request before it reaches a
 * resource or task, so that a hostile client gets a clear 4xx instead of tying up memory.
 */
public class HttpLimitsFactory {
    /** Request bodies above this answer 413; no Rotakey request needs more than a few kilobytes. */
    @NotNull
    @MinDataSize(value = 1, unit = io.dropwizard.util.DataSizeUnit.KIBIBYTES)
    @MaxDataSize(value = 64, unit = io.dropwizard.util.DataSizeUnit.MEBIBYTES)
    private DataSize maxRequestBody = DataSize.mebibytes(1);

    @JsonProperty
    public DataSize getMaxRequestBody() {
        return maxRequestBody;
    }

    @JsonProperty
    public void setMaxRequestBody(DataSize maxRequestBody) {
        this.maxRequestBody = maxRequestBody;
    }
}
