package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.testing.RecordingHttpServer;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.bouncycastle.cert.X509CRLHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard in a real headless Chromium (Debian's chromium and chromedriver, driven by Selenium) against the real
 * daemon on SoftHSM2: a fleet of a few owners with local-files credentials of different intervals, a webhook-delivered
 * credential whose consumer refuses a rotation (so it FAILS and an alert fires) and a certificate from the CA. Each page
 * loads with its stylesheet and without a console error, and shows the figures the API gives with the same token; a
 * screenshot of each goes to {@code target/dashboard-screenshots/} (or {@code -Drotakey.screenshots=DIR}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final byte[] CONSUMER_KEY = "consumer-webhook-signing-key-32-bytes-or-more".getBytes(StandardCharsets.UTF_8);
    private static final String HOSTILE_OWNER = "<script>alert(\"owner\")</script> & 'ops'";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    @TempDir
    static Path dir;
    private RecordingHttpServer consumer;
    private RunningDaemon daemon;
    private ChromeDriver browser;
    private Path screenshots;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "DashboardBrowserIT needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver):"
                        + " apt-get install -y chromium chromium-driver (./scripts/test.sh installs them)");
        consumer = new RecordingHttpServer(204);
        Path consumerKey = Files.write(dir.resolve("consumer-key"), CONSUMER_KEY);
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("data/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("dashboard"),
                ConfigOverride.config("targets.consumer.type", "webhook"),
                ConfigOverride.config("targets.consumer.url", consumer.url("/hook")),
                ConfigOverride.config("targets.consumer.allowHttp", "true"),
                ConfigOverride.config("targets.consumer.secret.file", consumerKey.toString()),
                ConfigOverride.config("alerting.evaluationInterval", "PT0.5S"));
        seed();
        screenshots = Path.of(System.getProperty("rotakey.screenshots", "target/dashboard-screenshots"));
        Files.createDirectories(screenshots);
        browser = chromium();
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
        if (consumer != null) {
            consumer.close();
        }
    }

    private void seed() throws Exception {
        ok(daemon.post("/api/v1/agents", "{\"id\":\"billing-agent\",\"owner\":\"team-billing@example.com\"}"), 201);
        ok(daemon.post("/api/v1/agents", "{\"id\":\"search-agent\",\"owner\":\"team-search@example.com\"}"), 201);
        ok(daemon.post("/api/v1/agents", "{\"id\":\"ops-agent\",\"owner\":" + json(HOSTILE_OWNER) + "}"), 201);
        String[][] keys = {{"billing-api", "billing-agent", "P1D"}, {"billing-db", "billing-agent", "P2D"},
                {"billing-queue", "billing-agent", "P5D"}, {"search-api", "search-agent", "P3D"},
                {"search-index", "search-agent", "P30D"}, {"ops-api", "ops-agent", "P4D"}};
        for (String[] k : keys) {
            ok(daemon.post("/api/v1/credentials", "{\"id\":\"" + k[0] + "\",\"agent\":\"" + k[1] + "\",\"type\":\"api-key\","
                    + "\"backend\":\"hsm\",\"rotation\":{\"every\":\"" + k[2] + "\"},\"gracePeriod\":\"PT1H\","
                    + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + k[1] + "/" + k[0] + "\"}]}"), 201);
        }
        ok(daemon.post("/api/v1/credentials", "{\"id\":\"billing-hook\",\"agent\":\"billing-agent\",\"type\":\"api-key\","
                + "\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT1H\","
                + "\"targets\":[{\"target\":\"consumer\",\"consumer\":\"billing\"}]}"), 201);
        ok(daemon.post("/api/v1/credentials", "{\"id\":\"search-mtls\",\"agent\":\"search-agent\",\"type\":\"certificate\","
                + "\"ca\":\"agents-ca\",\"validity\":\"PT12H\",\"gracePeriod\":\"PT1S\","
                + "\"targets\":[{\"target\":\"local-files\",\"path\":\"search-agent/mtls\"}]}"), 201);
        // A rotation of the API key that succeeds (its old version is then revoked within the hour: the plan shows it),
        // one of the certificate (its old certificate is revoked after a second: the CRL lists it), and one the consumer
        // refuses: FAILED, and an alert fires.
        assertThat(rotate("billing-api")).isEqualTo("SUCCEEDED");
        assertThat(rotate("search-mtls")).isEqualTo("SUCCEEDED");
        consumer.answer(403);
        assertThat(rotate("billing-hook")).isEqualTo("FAILED");
        await().atMost(Duration.ofSeconds(30)).until(() -> daemon.get("/api/v1/alerts").json().path("alerts").size() > 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> crl("agents-ca", 1).getRevokedCertificates().size() > 0);
    }

    private String rotate(String credential) {
        RunningDaemon.Answer started = ok(daemon.task("/tasks/rotate?credential=" + credential), 200);
        String rotation = started.json().path("rotations").get(0).path("id").asText();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                !daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText().equals("RUNNING"));
        return daemon.get("/api/v1/rotations/" + rotation).json().path("state").asText();
    }

    private ChromeDriver chromium() throws Exception {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1366,1800", "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        return driver;
    }

    /** The dashboard URL with the admin token as the Basic password, as a person would paste it. */
    private String url(String path) {
        URI app = daemon.app(path);
        return "http://dash:" + daemon.token() + "@" + app.getHost() + ":" + app.getPort() + path;
    }

    private void open(String path) {
        browser.get(url(path));
        await().atMost(Duration.ofSeconds(15)).until(() -> "complete".equals(browser.executeScript("return document.readyState")));
    }

    private List<LogEntry> consoleErrors() {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).toList();
    }

    /** The whole page: the window is made as tall as the page for the shot, then put back. */
    private void screenshot(String name) throws Exception {
        Dimension before = browser.manage().window().getSize();
        long height = (Long) browser.executeScript("return document.documentElement.scrollHeight");
        long chrome = (Long) browser.executeScript("return window.outerHeight - window.innerHeight");
        browser.manage().window().setSize(new Dimension(before.getWidth(), (int) Math.min(8000, height + chrome)));
        try {
            Files.write(screenshots.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.manage().window().setSize(before);
        }
    }

    private String text(String css) {
        return browser.findElement(By.cssSelector(css)).getText().trim();
    }

    @Test
    void theOverviewShowsTheApisFiguresWithItsStylesheetAndNoConsoleError() throws Exception {
        open("/dashboard/");
        assertThat(browser.getTitle()).isEqualTo("Fleet overview · Rotakey");
        assertThat(consoleErrors()).as("browser console").isEmpty();
        // The stylesheet loaded (behind the same Basic credentials): the header has its colour.
        assertThat(browser.findElement(By.cssSelector("header.top")).getCssValue("background-color"))
                .isEqualTo("rgba(31, 58, 95, 1)");
        screenshot("dashboard-overview.png");

        // Health: not healthy, a rotation failed and an alert fires.
        assertThat(browser.findElement(By.id("health")).getAttribute("data-healthy")).isEqualTo("false");
        assertThat(text("#health")).contains("Fleet needs attention").contains("latest rotation failed");

        JsonNode fleet = ok(daemon.get("/api/v1/fleet"), 200).json();
        JsonNode status = ok(daemon.get("/api/v1/status"), 200).json();
        assertThat(fleet.path("credentials").path("ACTIVE").asLong()).isEqualTo(8)
                .isEqualTo(status.path("credentials").path("ACTIVE").asLong());
        assertThat(bar("#by-state", "active")).isEqualTo(8);
        assertThat(bar("#by-state", "failing")).isEqualTo(fleet.path("failing").asLong()).isEqualTo(1);
        assertThat(bar("#by-owner", "team-billing@example.com")).isEqualTo(4);
        assertThat(bar("#by-owner", "team-search@example.com")).isEqualTo(3);
        fleet.path("owners").path("top").forEach(o ->
                assertThat(bar("#by-owner", o.path("owner").asText())).isEqualTo(o.path("credentials").asLong()));
        // The hostile owner is shown as text, escaped: no script ran, no element was injected.
        assertThat(text("#by-owner")).contains(HOSTILE_OWNER);
        assertThat(browser.findElements(By.cssSelector("#by-owner script"))).isEmpty();
        assertThat(bar("#by-type", "api-key")).isEqualTo(fleet.path("activeByType").path("api-key").asLong()).isEqualTo(7);

        // The last day's rotations: the API's counts, and the FAILED one first.
        JsonNode rotations = ok(daemon.get("/api/v1/rotations?since=PT24H"), 200).json();
        rotations.path("counts").fields().forEachRemaining(e ->
                assertThat(text(".chip[data-state='" + e.getKey() + "'] b")).isEqualTo(e.getValue().asText()));
        assertThat(rotations.path("counts").path("FAILED").asLong()).isEqualTo(1);
        WebElement first = browser.findElements(By.cssSelector("#rotations tr.rotation")).get(0);
        assertThat(first.getAttribute("data-state")).isEqualTo("FAILED");
        assertThat(first.getAttribute("data-rotation")).isEqualTo(rotations.path("rotations").get(0).path("id").asText());
        assertThat(first.getText()).contains("billing-hook");

        // The week's plan: per day, what the API's hours add up to; several days have work.
        JsonNode plan = ok(daemon.get("/api/v1/plan?within=P7D"), 200).json();
        Map<String, long[]> days = new TreeMap<>();
        for (JsonNode h : plan.path("byHour")) {
            long[] d = days.computeIfAbsent(LocalDate.ofInstant(Instant.parse(h.path("hour").asText()), ZoneOffset.UTC).toString(),
                    k -> new long[3]);
            d[0] += h.path("rotations").asLong();
            d[1] += h.path("revocations").asLong();
            d[2] += h.path("expiries").asLong();
        }
        assertThat(days.values().stream().filter(d -> d[0] > 0)).as("days with rotations").hasSizeGreaterThanOrEqualTo(4);
        List<WebElement> rows = browser.findElements(By.cssSelector("tr.plan-day"));
        assertThat(rows).hasSize(8);
        for (WebElement row : rows) {
            long[] expected = days.getOrDefault(row.getAttribute("data-date"), new long[3]);
            List<WebElement> cells = row.findElements(By.cssSelector("td.num"));
            assertThat(List.of(cells.get(0).getText(), cells.get(1).getText(), cells.get(2).getText())).as(row.getText())
                    .containsExactly(Long.toString(expected[0]), Long.toString(expected[1]), Long.toString(expected[2]));
        }
        assertThat(browser.findElements(By.cssSelector("svg.timeline g.day"))).hasSize(8);

        // The firing alert, linked to its credential.
        JsonNode alert = ok(daemon.get("/api/v1/alerts"), 200).json().path("alerts").get(0);
        WebElement alertRow = browser.findElement(By.cssSelector("tr.alert[data-alertname='" + alert.path("alertname").asText() + "']"));
        assertThat(alertRow.getText()).contains(alert.path("summary").asText());

        // The CA: its generation's expiry and CRL as /api/v1/cas/agents-ca and its CRL give them.
        JsonNode ca = ok(daemon.get("/api/v1/cas/agents-ca"), 200).json();
        JsonNode generation = ca.path("generations").get(0);
        WebElement genRow = browser.findElement(By.cssSelector(".ca[data-ca='agents-ca'] tr.generation[data-generation='"
                + generation.path("generation").asInt() + "']"));
        assertThat(genRow.getText()).contains(TIME.format(Instant.parse(generation.path("notAfter").asText())))
                .contains("#" + generation.path("crlNumber").asText());
        X509CRLHolder crl = crl("agents-ca", generation.path("generation").asInt());
        assertThat(genRow.findElement(By.cssSelector("td.crl-revoked")).getText())
                .isEqualTo(Integer.toString(crl.getRevokedCertificates().size()));
        assertThat(genRow.getText()).contains(crl.getEncoded().length + " B");

        // No secret reaches the page: the delivered API key is nowhere in it.
        assertThat(browser.getPageSource()).doesNotContain(daemon.delivered("billing-agent/billing-api").trim());
    }

    @Test
    void aFailedRotationLeadsToItsCredentialsPageWithItsVersionsRotationsAndAuditStory() throws Exception {
        open("/dashboard/");
        browser.findElement(By.cssSelector("#rotations tr.rotation[data-state='FAILED'] a")).click();
        await().atMost(Duration.ofSeconds(15)).until(() -> browser.getCurrentUrl().endsWith("/dashboard/credentials/billing-hook"));
        assertThat(browser.getTitle()).isEqualTo("Credential billing-hook · Rotakey");
        assertThat(consoleErrors()).as("browser console").isEmpty();
        screenshot("dashboard-credential.png");

        JsonNode credential = ok(daemon.get("/api/v1/credentials/billing-hook"), 200).json();
        assertThat(text("#credential")).contains("billing-agent").contains("team-billing@example.com").contains("api-key")
                .contains("every P7D");
        assertThat(text("#targets")).contains("consumer").contains("consumer=billing");
        List<WebElement> versions = browser.findElements(By.cssSelector("tr.version"));
        assertThat(versions).hasSize(credential.path("versions").size());
        for (JsonNode v : credential.path("versions")) {
            assertThat(browser.findElement(By.cssSelector("tr.version[data-version='" + v.path("version").asInt() + "']"))
                    .getAttribute("data-state")).isEqualTo(v.path("state").asText());
        }
        JsonNode rotations = ok(daemon.get("/api/v1/credentials/billing-hook/rotations"), 200).json().path("rotations");
        List<String> shown = browser.findElements(By.cssSelector("#rotations tr.rotation")).stream()
                .map(r -> r.getAttribute("data-rotation")).toList();
        List<String> listed = new ArrayList<>();
        rotations.forEach(r -> listed.add(r.path("id").asText()));
        assertThat(shown).containsExactlyElementsOf(listed);
        assertThat(text("#rotations tr.rotation[data-state='FAILED']")).contains("403");

        // The audit story: the API's events about the credential, oldest first.
        JsonNode events = ok(daemon.get("/api/v1/audit?subject=credential:billing-hook&limit=200"), 200).json().path("events");
        List<String> expected = new ArrayList<>();
        events.forEach(e -> expected.add(0, e.path("id").asText()));
        assertThat(browser.findElements(By.cssSelector("li.event")).stream().map(e -> e.getAttribute("data-event")).toList())
                .containsExactlyElementsOf(expected).isNotEmpty();
    }

    @Test
    void theHostileOwnerIsEscapedOnItsCredentialsPageAndAnUnknownCredentialIsA404Page() throws Exception {
        open("/dashboard/credentials/ops-api");
        assertThat(consoleErrors()).as("browser console").isEmpty();
        assertThat(text("#credential")).contains(HOSTILE_OWNER);
        assertThat(browser.findElements(By.cssSelector("main script"))).isEmpty();

        open("/dashboard/credentials/no-such-credential");
        assertThat(text("#not-found")).contains("There is no credential 'no-such-credential'.");
        browser.manage().logs().get(LogType.BROWSER); // the 404's own console line, expected
        RunningDaemon.Answer missing = daemon.send(HttpRequest.newBuilder(daemon.app("/dashboard/credentials/no-such-credential")).GET(),
                daemon.token());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).contains("There is no credential").doesNotContain("Exception");
    }

    @Test
    void overHttpTheDashboardTakesTheTokenAsABasicPasswordOnlyThereAndSendsItsSecurityHeaders() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String basic = "Basic " + Base64.getEncoder().encodeToString(("anyone:" + daemon.token()).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(daemon.app("/dashboard/")).header("Authorization", basic)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(page.headers().firstValue("Content-Security-Policy")).contains("default-src 'none'; style-src 'self'; "
                + "img-src 'self' data:; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(page.headers().firstValue("Referrer-Policy")).contains("no-referrer");
        assertThat(page.headers().firstValue("Cache-Control")).contains("no-store");
        assertThat(page.body()).doesNotContain("<script").doesNotContain("style=");

        HttpResponse<String> css = http.send(HttpRequest.newBuilder(daemon.app("/dashboard/assets/dashboard.css"))
                .header("Authorization", basic).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(css.headers().firstValue("Cache-Control")).hasValueSatisfying(c -> assertThat(c).contains("max-age=31536000"));
        assertThat(css.headers().firstValue("Content-Security-Policy")).isPresent();

        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(daemon.app("/dashboard/assets/favicon.svg")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().allValues("WWW-Authenticate"))
                .contains("Basic realm=\"Rotakey dashboard\", charset=\"UTF-8\"", "Bearer realm=\"rotakey\"");
        assertThat(anonymous.headers().firstValue("Content-Security-Policy")).isPresent();

        HttpResponse<String> api = http.send(HttpRequest.newBuilder(daemon.app("/api/v1/status")).header("Authorization", basic)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(api.statusCode()).as("Basic is for the dashboard only").isEqualTo(401);
        assertThat(api.headers().allValues("WWW-Authenticate")).containsExactly("Bearer realm=\"rotakey\"");

        HttpResponse<String> post = http.send(HttpRequest.newBuilder(daemon.app("/dashboard/")).header("Authorization", basic)
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(daemon.app("/dashboard/")).header("Authorization", basic)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);

        String monitor = ok(daemon.task("/tasks/issue-token?name=dash-monitor&role=monitor"), 200).json().path("token").asText();
        assertThat(daemon.send(HttpRequest.newBuilder(daemon.app("/dashboard/")).GET(), monitor).status()).isEqualTo(200);
        String verifier = ok(daemon.task("/tasks/issue-token?name=dash-verifier&role=verifier"), 200).json().path("token").asText();
        assertThat(daemon.send(HttpRequest.newBuilder(daemon.app("/dashboard/")).GET(), verifier).status()).isEqualTo(403);
    }

    private long bar(String chart, String label) {
        for (WebElement row : browser.findElements(By.cssSelector(chart + " tr[data-bar]"))) {
            if (label.equals(row.getAttribute("data-bar"))) {
                return Long.parseLong(row.findElement(By.cssSelector("td.num")).getText().trim());
            }
        }
        throw new AssertionError("no bar '" + label + "' in " + chart);
    }

    private X509CRLHolder crl(String ca, int generation) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                daemon.app("/api/v1/cas/" + ca + "/crl?generation=" + generation)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return new X509CRLHolder(r.body());
    }

    private static String json(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static RunningDaemon.Answer ok(RunningDaemon.Answer a, int status) {
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        return a;
    }
}
