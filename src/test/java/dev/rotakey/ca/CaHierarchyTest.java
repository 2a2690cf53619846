package dev.rotakey.ca;

import dev.rotakey.StartupException;
import dev.rotakey.core.RejectedException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CA hierarchy from configuration alone: creation order, path lengths, and the names it refuses. */
class CaHierarchyTest {
    private final Map<String, CertificateAuthorityFactory> configs = new LinkedHashMap<>();

    private void ca(String name, String parent) {
        CertificateAuthorityFactory f = new CertificateAuthorityFactory();
        f.setBackend("hsm");
        f.setParent(parent);
        configs.put(name, f);
    }

    @Test
    void parentsComeBeforeTheirChildrenAndEachCaKnowsHowManyLevelsLieBelowIt() {
        ca("leaf-issuer", "intermediate");
        ca("other-root", null);
        ca("intermediate", "root");
        ca("root", null);
        ca("sibling", "root");

        CaHierarchy hierarchy = new CaHierarchy(configs);

        assertThat(hierarchy.creationOrder()).containsExactly("root", "intermediate", "leaf-issuer", "other-root", "sibling");
        assertThat(hierarchy.names()).containsExactly("leaf-issuer", "other-root", "intermediate", "root", "sibling");
        assertThat(hierarchy.depthBelow("root")).isEqualTo(2);
        assertThat(hierarchy.depthBelow("intermediate")).isEqualTo(1);
        assertThat(hierarchy.depthBelow("leaf-issuer")).isZero();
        assertThat(hierarchy.depthBelow("sibling")).isZero();
        assertThat(hierarchy.depthBelow("other-root")).isZero();
        assertThat(hierarchy.parent("intermediate")).isEqualTo("root");
        assertThat(hierarchy.parent("root")).isNull();
    }

    @Test
    void theConfigurationIsCopied() {
        ca("root", null);
        CaHierarchy hierarchy = new CaHierarchy(configs);
        ca("later", null);

        assertThat(hierarchy.names()).containsExactly("root");
        assertThat(hierarchy.isConfigured("later")).isFalse();
    }

    @Test
    void anUnknownParentOrACycleIsAStartupErrorNamingTheKey() {
        ca("agents-ca", "missing-ca");
        assertThatThrownBy(() -> new CaHierarchy(configs)).isInstanceOf(StartupException.class)
                .hasMessage("certificateAuthorities.agents-ca.parent: no certificate authority named 'missing-ca' is "
                        + "configured (certificateAuthorities: agents-ca)");

        configs.clear();
        ca("a", "b");
        ca("b", "c");
        ca("c", "a");
        assertThatThrownBy(() -> new CaHierarchy(configs)).isInstanceOf(StartupException.class)
                .hasMessage("certificateAuthorities.a.parent: the parents form a cycle (a -> b -> c -> a)");

        configs.clear();
        ca("self", "self");
        assertThatThrownBy(() -> new CaHierarchy(configs)).isInstanceOf(StartupException.class)
                .hasMessage("certificateAuthorities.self.parent: the parents form a cycle (self -> self)");
    }

    @Test
    void anUnknownCaIsNotFoundInAUrlAndInvalidInARequest() {
        ca("agents-ca", null);
        ca("other-ca", null);
        CaHierarchy hierarchy = new CaHierarchy(configs);

        hierarchy.requireConfigured("agents-ca");
        hierarchy.requireCaField("other-ca");
        assertThatThrownBy(() -> hierarchy.requireConfigured("nope"))
                .isInstanceOfSatisfying(RejectedException.class, e -> assertThat(e.kind()).isEqualTo(RejectedException.Kind.NOT_FOUND));
        assertThatThrownBy(() -> hierarchy.requireCaField("nope"))
                .isInstanceOfSatisfying(RejectedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RejectedException.Kind.INVALID);
                    assertThat(e.field()).isEqualTo("ca");
                })
                .hasMessageContaining("no certificate authority named 'nope' (configured: [agents-ca, other-ca])");
        assertThatThrownBy(() -> hierarchy.requireCaField(null))
                .isInstanceOfSatisfying(RejectedException.class, e -> assertThat(e.field()).isEqualTo("ca"));
    }
}
