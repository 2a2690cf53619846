package dev.rotakey.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Strict query decoding: what decodes, and what is refused with a message fit for the caller. */
class QueryStringTest {
    @Test
    void decodesNamesAndValuesInOrder() throws Exception {
        Map<String, List<String>> q = QueryString.parse("credential=billing%2Dapi&x=a+b&x=%C3%A9&flag&&empty=");
        assertThat(q).containsExactly(Map.entry("credential", List.of("billing-api")), Map.entry("x", List.of("a b", "é")),
                Map.entry("flag", List.of("")), Map.entry("empty", List.of("")));
        assertThat(QueryString.parse(null)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"credential=%ff", "name[]=%s", "a=%", "a=%4", "a=%zz", "%=1", "a=%C3", "a=%00", "a=%0A",
            "a=%ED%A0%80"})
    void refusesWhatDoesNotDecode(String raw) {
        assertThatThrownBy(() -> QueryString.parse(raw)).as(raw).isInstanceOf(QueryString.MalformedException.class)
                .hasMessageStartingWith("the query").hasMessageNotContaining("Exception");
    }

    @Test
    void refusesTooManyParameters() {
        String raw = "a=1&".repeat(QueryString.MAX_PARAMETERS + 1);
        assertThatThrownBy(() -> QueryString.parse(raw)).hasMessageContaining("more than " + QueryString.MAX_PARAMETERS);
    }
}
