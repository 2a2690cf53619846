package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Every 4xx/5xx answer's JSON body: the status, what is wrong, and the offending field if one is to blame. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(int code, String message, String field) {
}
