package dev.rotakey.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The JSON settings of Rotakey's API on top of Dropwizard's: a body with a field the API does not know is
 * refused (a misspelt optional field would otherwise be silently ignored), and times are ISO-8601 text.
 */
public final class ApiJson {
    private ApiJson() {
    }

    public static ObjectMapper configure(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        return mapper;
    }
}
