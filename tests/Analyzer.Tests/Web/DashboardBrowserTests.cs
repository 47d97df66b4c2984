using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analyzer.Auth;
using Analyzer.Tests.Infrastructure;
using Microsoft.Playwright;
using OtpNet;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Web;

/// <summary>
/// The real executable with authentication on and two people enrolled through <c>analyzer users add</c>: the test
/// computes their codes from the otpauth:// URIs the command printed, as an authenticator app would.
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    private DirectoryInfo? folder;

    public AnalyzerServer Service { get; private set; } = null!;

    public string Origin => Service.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

    public string Folder => folder!.FullName;

    /// <summary>Enrolled with every scope (the desktop run deletes an import).</summary>
    public byte[] AnalystSecret { get; private set; } = [];

    /// <summary>Enrolled with read and write (the phone run).</summary>
    public byte[] PhoneSecret { get; private set; } = [];

    public async Task InitializeAsync()
    {
        folder = Directory.CreateTempSubdirectory("analyzer-dashboard-");
        var secretFile = Path.Combine(Folder, "analyzer.secret");
        await File.WriteAllTextAsync(secretFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)));
        var db = "sqlite://" + Path.Combine(Folder, "analyzer.db");
        var upgraded = await AnalyzerProcess.RunAsync(Folder, null, "db", "upgrade", "--db", db);
        Assert.True(upgraded.ExitCode == 0, upgraded.ToString());
        AnalystSecret = await EnrolAsync(db, secretFile, "analyst", "analyzer:read,analyzer:write,analyzer:admin");
        PhoneSecret = await EnrolAsync(db, secretFile, "phone", "analyzer:read,analyzer:write");
        Service = await AnalyzerServer.StartAsync(Folder, null, "--db", db, "--auth-secret-file", secretFile, "--log-level", "Warning");
    }

    private async Task<byte[]> EnrolAsync(string db, string secretFile, string name, string scopes)
    {
        var png = Path.Combine(Folder, name + ".png");
        var added = await AnalyzerProcess.RunAsync(Folder, null, "users", "add", name, "--scopes", scopes, "--qr-png", png, "--db", db, "--auth-secret-file", secretFile);
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.True(new FileInfo(png).Length > 100, "no QR code PNG");
        Assert.Contains("█", added.StandardError, StringComparison.Ordinal); // the QR code in the terminal
        var uri = new Uri(Assert.Single(added.OutputLines));
        Assert.Equal("otpauth", uri.Scheme);
        var secret = uri.Query.TrimStart('?').Split('&').Select(p => p.Split('=')).Single(p => p[0] == "secret")[1];
        return Base32Encoding.ToBytes(secret);
    }

    /// <summary>A token for setting up data through the API (not through the page).</summary>
    public async Task<HttpClient> ApiClientAsync(byte[] secret, string name)
    {
        var code = await FreshCodeAsync(secret);
        using var response = await Service.Client.PostAsync("/auth/sessions", ApiClient.Json($$"""{"name": "{{name}}", "code": "{{code}}"}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var client = new HttpClient { BaseAddress = Service.Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("token").GetString());
        return client;
    }

    private readonly Dictionary<string, long> usedSteps = [];

    /// <summary>The current code, waiting for the next 30-second step when this secret's current one was used already (each code signs in once).</summary>
    public async Task<string> FreshCodeAsync(byte[] secret)
    {
        var key = Convert.ToHexString(secret);
        while (usedSteps.TryGetValue(key, out var used) && DateTimeOffset.UtcNow.ToUnixTimeSeconds() / TotpCodes.StepSeconds <= used)
        {
            await Task.Delay(1000);
        }
        var now = DateTimeOffset.UtcNow;
        usedSteps[key] = now.ToUnixTimeSeconds() / TotpCodes.StepSeconds;
        return TotpCodes.Compute(secret, now);
    }

    public async Task DisposeAsync()
    {
        if (Service is not null)
        {
            await Service.DisposeAsync();
        }
        folder?.Delete(recursive: true);
    }
}

/// <summary>
/// The dashboard in Debian's Chromium through Playwright against the real executable: sign-in with a TOTP code,
/// imports, charts, the citizen editor, datasets with the map, deletion, a phone-sized run; nothing is loaded from
/// another origin (every request outside it is recorded and aborted). Screenshots go to TestResults/dashboard/.
/// </summary>
public sealed class DashboardBrowserTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    /// <summary>
    /// GEO STEP: the radius query needs <c>GET /datasets/{name}/rows?near=LAT,LON&amp;within_km=KM</c>, which the geography
    /// work adds. Until that is merged the service answers 400 ("near" is no column) and the test checks that the page
    /// shows that problem; after the merge this is true and the test checks the rows found and the circle drawn.
    /// </summary>
    private static readonly bool GeoEndpointMerged = true;

    public static string ScreenshotFolder { get; } = FindScreenshotFolder();

    private static string FindScreenshotFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Analyzer.slnx")))
            {
                return Directory.CreateDirectory(Path.Combine(directory.FullName, "TestResults", "dashboard")).FullName;
            }
        }
        return Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "analyzer-dashboard-screenshots")).FullName;
    }

    private sealed record Browsing(IPlaywright Playwright, IBrowser Browser, IBrowserContext Context, IPage Page, List<string> Elsewhere, List<string> Problems)
        : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Context.CloseAsync();
            await Browser.CloseAsync();
            Playwright.Dispose();
        }

        /// <summary>Runs the steps of a test; on a failure leaves a screenshot of the page as it was (name-failure.png).</summary>
        public async Task StepsAsync(string name, Func<Task> steps)
        {
            try
            {
                await steps();
            }
            catch
            {
                await ShotAsync(Page, name + "-failure");
                throw;
            }
        }

        public void AssertClean()
        {
            Assert.True(Elsewhere.Count == 0, "requests left the origin: " + string.Join(", ", Elsewhere));
            Assert.True(Problems.Count == 0, "the page reported: " + string.Join(" | ", Problems));
        }
    }

    private async Task<Browsing> OpenAsync(int width, int height)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Browser.ChromiumPath, Headless = true, Args = Browser.ChromiumArgs });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, DeviceScaleFactor = 1 });
        var elsewhere = new List<string>();
        var problems = new List<string>();
        var origin = server.Origin;
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(origin + "/", StringComparison.Ordinal) || route.Request.Url == origin)
            {
                await route.ContinueAsync();
                return;
            }
            lock (elsewhere)
            {
                elsewhere.Add(route.Request.Url);
            }
            await route.AbortAsync();
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        page.PageError += (_, error) => { lock (problems) { problems.Add("page error: " + error); } };
        page.Console += (_, message) =>
        {
            // Answers of 4xx are expected (the sign-in probe's 401, refused input); script errors and CSP refusals are not.
            if (message.Type == "error" && !message.Text.Contains("the server responded with a status of 4", StringComparison.Ordinal))
            {
                lock (problems) { problems.Add("console: " + message.Text); }
            }
        };
        return new Browsing(playwright, browser, context, page, elsewhere, problems);
    }

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    private async Task SignInAsync(IPage page, string name, byte[] secret)
    {
        await page.GotoAsync(server.Origin + "/");
        await WaitForHashAsync(page, "^#/signin$");
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Code").FillAsync(await server.FreshCodeAsync(secret));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await WaitForHashAsync(page, "^#/imports$");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Imports", Exact = true }).WaitForAsync();
    }

    /// <summary>The router changes only the hash (a same-document navigation): wait for it to match <paramref name="pattern"/>.</summary>
    private static Task WaitForHashAsync(IPage page, string pattern) =>
        page.WaitForFunctionAsync("pattern => new RegExp(pattern).test(location.hash)", pattern);

    private static Task<double[]> BirthdayBarsAsync(IPage page) =>
        page.EvaluateAsync<double[]>("() => Chart.getChart('birthdays-chart').data.datasets[0].data");

    /// <summary>The courses chart as drawn: its labels (channels) and bar values (courses per channel).</summary>
    private static async Task AssertCourseBarsAsync(IPage page, string[] channels, double[] totals)
    {
        Assert.Equal(channels, await page.EvaluateAsync<string[]>("() => Chart.getChart('courses-chart').data.labels"));
        Assert.Equal(totals, await page.EvaluateAsync<double[]>("() => Chart.getChart('courses-chart').data.datasets[0].data"));
    }

    private static JsonObject WithChannel(JsonObject citizen, int[] friends, string? channel)
    {
        citizen["friends"] = new JsonArray([.. friends.Select(f => (JsonNode)f)]);
        if (channel is not null)
        {
            citizen["channel"] = channel;
        }
        return citizen;
    }

    /// <summary>
    /// Five citizens with friends and channels (4 names none). Courses, one per distinct relative or friend:
    /// 1 → {2, 3} = 2, 2 → {1} = 1 (instagram: 3); 3 → {1, 4} = 2, 5 → {5, 4} = 2 (tv: 4); 4 → {3, 5} = 2 (no channel: 2).
    /// </summary>
    private static JsonObject ChannelImport() => Import(
        WithChannel(Citizen(1, [2], town: "Keflavik", birthDate: "01.01.1990"), [3], "instagram"),
        WithChannel(Citizen(2, [1], town: "Keflavik", birthDate: "15.06.1991", gender: "female"), [], "instagram"),
        WithChannel(Citizen(3, [], town: "Reykjavik", birthDate: "10.10.1960"), [1, 4], "tv"),
        WithChannel(Citizen(4, [], town: "Reykjavik", birthDate: "05.05.2010", gender: "female"), [3, 5], null),
        WithChannel(Citizen(5, [5], town: "Reykjavik", birthDate: "20.02.1960"), [4], "tv"));

    /// <summary>The demand row of a town, age group and channel ("" for none): its citizens and courses as shown.</summary>
    private static async Task<(int Citizens, int Courses)> DemandRowAsync(IPage page, string key)
    {
        var cells = await page.Locator($"#demand-result tr[data-key='{key}'] td.num").AllInnerTextsAsync();
        Assert.Equal(2, cells.Count);
        return (int.Parse(cells[0], CultureInfo.InvariantCulture), int.Parse(cells[1], CultureInfo.InvariantCulture));
    }

    [BrowserFact]
    public async Task An_analyst_signs_in_uploads_charts_edits_maps_and_deletes()
    {
        await using var browsing = await OpenAsync(1280, 900);
        await browsing.StepsAsync("desktop", () => DesktopStepsAsync(browsing.Page));
        browsing.AssertClean();
    }

    private async Task DesktopStepsAsync(IPage page)
    {

        // Sign-in: a wrong code is refused visibly, then the right one.
        await page.GotoAsync(server.Origin + "/");
        await WaitForHashAsync(page, "^#/signin$");
        await page.GetByLabel("Name").FillAsync("analyst");
        await page.GetByLabel("Code").FillAsync("000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator(".problem").WaitForAsync();
        Assert.Contains("the name or the code is wrong", await page.Locator(".problem").InnerTextAsync(), StringComparison.Ordinal);
        await ShotAsync(page, "01-sign-in");
        await page.GetByLabel("Code").FillAsync(await server.FreshCodeAsync(server.AnalystSecret));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await WaitForHashAsync(page, "^#/imports$");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Imports", Exact = true }).WaitForAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.length ? 'stored' : null"));
        await ShotAsync(page, "02-imports-empty");

        // Upload the contract's example import: presents in April (1 buys for 2) and December (2 buys for 1).
        var importFile = Path.Combine(server.Folder, "import.json");
        await File.WriteAllTextAsync(importFile, ContractExample().ToJsonString());
        await page.Locator("#upload-import input[type=file]").SetInputFilesAsync(importFile);
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload import" }).ClickAsync();
        await WaitForHashAsync(page, "^#/imports/\\d+$");
        var importId = long.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..], CultureInfo.InvariantCulture);
        await page.Locator("#birthdays-chart").WaitForAsync();
        await page.Locator("#citizens-title").WaitForAsync();
        var bars = await BirthdayBarsAsync(page);
        Assert.Equal(new double[] { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, bars);
        Assert.Equal("1", await page.Locator("button[data-month='12']").GetAttributeAsync("data-presents"));
        Assert.Equal(2, await page.Locator("#ages-chart").EvaluateAsync<int>("c => Chart.getChart(c).data.labels.length"));

        // The contract's shape: no channel or friends columns; every course (1 ↔ 2) under "(no channel)".
        await page.Locator("#courses-chart").WaitForAsync();
        await AssertCourseBarsAsync(page, ["(no channel)"], [2.0]);
        Assert.DoesNotContain("Channel", await page.Locator("table.citizens thead").InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Friends", await page.Locator("table.citizens thead").InnerTextAsync(), StringComparison.Ordinal);
        await page.Locator("#demand-result table.demand").WaitForAsync();

        // The edit form shows the contract's message next to the field, and changes nothing.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit citizen 3" }).ClickAsync();
        await page.GetByLabel("Birth date (DD.MM.YYYY)").FillAsync("31.02.2019");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var fieldError = page.Locator("#citizen-form .field-error");
        await fieldError.WaitForAsync();
        Assert.Contains("31.02.2019", await fieldError.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("true", await page.GetByLabel("Birth date (DD.MM.YYYY)").GetAttributeAsync("aria-invalid"));
        await ShotAsync(page, "03-import-edit-error");

        // 3 becomes a relative of 1: November gains a present (1 buys for 3) and December another (3 buys for 1).
        await page.GetByLabel("Birth date (DD.MM.YYYY)").FillAsync("23.11.1986");
        await page.GetByLabel("Relatives (citizen ids, comma separated)").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.Locator("#fact-version").Filter(new() { HasText = "1" }).WaitForAsync();
        await page.WaitForFunctionAsync("() => Chart.getChart('birthdays-chart')?.data.datasets[0].data[11] === 2");
        bars = await BirthdayBarsAsync(page);
        Assert.Equal(new double[] { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2 }, bars);

        // Click December's bar: its buyers are listed.
        await page.Locator("#birthdays-chart").ScrollIntoViewIfNeededAsync();
        var box = (await page.Locator("#birthdays-chart").BoundingBoxAsync())!;
        var bar = await page.EvaluateAsync<JsonElement>("() => { const b = Chart.getChart('birthdays-chart').getDatasetMeta(0).data[11]; return { x: b.x, y: (b.y + b.base) / 2 }; }");
        await page.Mouse.ClickAsync(box.X + bar.GetProperty("x").GetSingle(), box.Y + bar.GetProperty("y").GetSingle());
        await page.Locator("#month-detail h3").Filter(new() { HasText = "December: 2 presents" }).WaitForAsync();
        Assert.Equal(2, await page.Locator("#month-detail tbody tr").CountAsync());
        await ShotAsync(page, "04-import-page");

        await CoursesStepsAsync(page);

        // A dataset: airports.dat, no header, \N for null; every airport on the map.
        await page.GetByRole(AriaRole.Link, new() { Name = "Datasets" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Datasets", Exact = true }).WaitForAsync();
        await page.Locator("#upload-csv input[type=file]").SetInputFilesAsync(Path.Combine(AppContext.BaseDirectory, "Datasets", "data", "airports.dat"));
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("airports");
        await page.GetByLabel("Columns").FillAsync("airport_id,name,city,country,iata,icao,latitude,longitude,altitude,timezone,dst,tz,type,source");
        await page.GetByLabel("Null marker").FillAsync("\\N");
        await page.GetByLabel("The first line is a header").UncheckAsync();
        await ShotAsync(page, "05-datasets-upload");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload CSV" }).ClickAsync();
        await WaitForHashAsync(page, "^#/datasets/airports$");
        await page.Locator("path.points:not([data-count='0'])").WaitForAsync();
        var points = int.Parse((await page.Locator("path.points").GetAttributeAsync("data-count"))!, CultureInfo.InvariantCulture);
        Assert.Equal(int.Parse(await page.Locator("#fact-rows").InnerTextAsync(), CultureInfo.InvariantCulture), points);
        Assert.True(points > 7000, $"{points} points on the map");

        // GEO STEP (see GeoEndpointMerged): a radius around Reykjavík.
        await page.GetByLabel("Latitude").FillAsync("64.13");
        await page.GetByLabel("Longitude").FillAsync("-21.94");
        await page.GetByLabel("Radius (km)").FillAsync("300");
        await page.GetByRole(AriaRole.Button, new() { Name = "Find rows nearby" }).ClickAsync();
        await page.Locator("path.radius-area").WaitForAsync();
        if (GeoEndpointMerged)
        {
            await page.Locator("#near-count").WaitForAsync();
            var found = await page.Locator("circle.found").CountAsync();
            Assert.True(found > 0, "no airport found near Reykjavík");
            Assert.StartsWith($"{found} rows within 300 km", await page.Locator("#near-count").InnerTextAsync(), StringComparison.Ordinal);
            var distances = (await page.Locator(".near-list li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.km)"))
                .Select(d => double.Parse(d, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(Math.Min(found, 50), distances.Length);
            Assert.Equal(distances.Order(), distances); // nearest first
            Assert.All(distances, d => Assert.InRange(d, 0, 300));
            // Reykjavík's own airport (64.13, -21.9406) is about 30 m away, listed first with its distance.
            var nearest = await page.Locator(".near-list li").First.InnerTextAsync();
            Assert.Contains("Reykjavik Airport", nearest, StringComparison.Ordinal);
            Assert.Contains("0.0 km", nearest, StringComparison.Ordinal);
        }
        else
        {
            await page.Locator("#near-result .problem").WaitForAsync();
            Assert.Contains("near", await page.Locator("#near-result .problem").InnerTextAsync(), StringComparison.Ordinal);
        }
        await ShotAsync(page, "06-dataset-map");
        await AssertFitsAsync(page);

        // Rows: filter by country, delete a row, show deleted rows, restore it.
        await page.Locator("#filter-form select[name=filter_column]").SelectOptionAsync("country");
        await page.GetByLabel("Equals").FillAsync("Iceland");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add filter" }).ClickAsync();
        await page.Locator(".chips li").WaitForAsync();
        var countries = await page.Locator("table.rows tbody tr td:nth-child(5)").AllInnerTextsAsync();
        Assert.NotEmpty(countries);
        Assert.All(countries, c => Assert.Equal("Iceland", c));
        var firstRow = await page.Locator("table.rows tbody tr").First.GetAttributeAsync("data-row");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete row {firstRow}" }).ClickAsync();
        await page.Locator($"table.rows tbody tr[data-row='{firstRow}']").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.GetByLabel("Include deleted rows").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Restore row {firstRow}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete row {firstRow}" }).WaitForAsync();
        await ShotAsync(page, "07-dataset-rows");

        // Delete the import: gone from the list.
        await page.GotoAsync($"{server.Origin}/#/imports/{importId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete this import" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Yes, delete import {importId}" }).ClickAsync();
        await WaitForHashAsync(page, "^#/imports$");
        await page.Locator("#status").Filter(new() { HasText = $"Import {importId} deleted." }).WaitForAsync();
        await page.Locator("#imports-list .empty, #imports-list table").First.WaitForAsync();
        Assert.Equal(0, await page.Locator($"#imports-list a[href='#/imports/{importId}']").CountAsync());
        await ShotAsync(page, "08-imports-after-delete");
    }

    /// <summary>An import with channels and friends: the courses chart and the demand table, after edits too, and refused input shown.</summary>
    private async Task CoursesStepsAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Imports", Exact = true }).ClickAsync();
        await WaitForHashAsync(page, "^#/imports$");
        var importFile = Path.Combine(server.Folder, "channels.json");
        await File.WriteAllTextAsync(importFile, ChannelImport().ToJsonString());
        await page.Locator("#upload-import input[type=file]").SetInputFilesAsync(importFile);
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload import" }).ClickAsync();
        await page.Locator("#courses-chart").WaitForAsync();
        await page.Locator("table.citizens").WaitForAsync();

        // Channels in ordinal order, "" (none) first; totals as computed by hand in ChannelImport.
        await AssertCourseBarsAsync(page, ["(no channel)", "instagram", "tv"], [2.0, 3.0, 4.0]);
        Assert.Equal("4", await page.Locator("#courses-panel tr[data-channel='tv'] td.num").First.InnerTextAsync());
        Assert.Contains("Friends", await page.Locator("table.citizens thead").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("3, 5", await page.Locator("table.citizens tr[data-citizen='4'] td.friends").InnerTextAsync());
        Assert.Equal("—", await page.Locator("table.citizens tr[data-citizen='4'] td.channel").InnerTextAsync());

        // Demand by the default keys and age groups: 1 (36) and 2 (35) in Keflavik, 35-44, instagram buy 2 + 1.
        await page.Locator("#demand-result table.demand").WaitForAsync();
        Assert.Equal((2, 3), await DemandRowAsync(page, "Keflavik|35-44|instagram"));
        Assert.Equal((1, 2), await DemandRowAsync(page, "Reykjavik|0-17|"));
        Assert.Equal("(no channel)", await page.Locator("#demand-result tr[data-key='Reykjavik|0-17|'] td").Nth(2).InnerTextAsync());

        // A reversed age group is refused: the message next to the field, the detail above the table.
        await page.GetByLabel("Age groups").FillAsync("30-20");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show demand" }).ClickAsync();
        await page.Locator("#demand-form .field-error").WaitForAsync();
        Assert.Equal("true", await page.GetByLabel("Age groups").GetAttributeAsync("aria-invalid"));
        await page.Locator("#demand-result .problem").WaitForAsync();
        await page.Locator("#demand-panel").ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, "04c-demand-error.png") });

        // Rows by channel only.
        await page.GetByLabel("Age groups").FillAsync("0-17,18-24,25-34,35-44,45-54,55-64,65-");
        await page.GetByLabel("Town", new() { Exact = true }).UncheckAsync();
        await page.GetByLabel("Age group", new() { Exact = true }).UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show demand" }).ClickAsync();
        await page.Locator("#demand-result tr[data-key='tv']").WaitForAsync();
        Assert.Equal(0, await page.Locator("#demand-form .field-error").CountAsync());
        Assert.Equal((2, 4), await DemandRowAsync(page, "tv"));
        Assert.Equal((1, 2), await DemandRowAsync(page, ""));

        // A channel without a letter or digit: refused next to the field, nothing changes.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit citizen 4" }).ClickAsync();
        var channel = page.GetByLabel("Advertising channel (empty: none)");
        await channel.FillAsync("!!!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.Locator("#citizen-form .field-error").WaitForAsync();
        Assert.Equal("true", await channel.GetAttributeAsync("aria-invalid"));
        Assert.NotEmpty((await page.Locator($"#{await channel.GetAttributeAsync("aria-describedby")}").InnerTextAsync()).Trim());
        await page.Locator("#citizen-form").ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, "04d-channel-error.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        Assert.Equal("0", await page.Locator("#fact-version").InnerTextAsync());

        // 2 befriends 3: 2 buys {1, 3} = 2 and 3 buys {1, 4, 2} = 3, so instagram 4 and tv 5; the demand follows.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit citizen 2" }).ClickAsync();
        await page.GetByLabel("Friends (citizen ids, comma separated)").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.Locator("#fact-version").Filter(new() { HasText = "1" }).WaitForAsync();
        await page.WaitForFunctionAsync("() => Chart.getChart('courses-chart')?.data.datasets[0].data[2] === 5");
        await AssertCourseBarsAsync(page, ["(no channel)", "instagram", "tv"], [2.0, 4.0, 5.0]);
        await page.Locator("#demand-result tr[data-key='tv'] td.num").Nth(1).Filter(new() { HasText = "5" }).WaitForAsync();
        Assert.Equal((2, 4), await DemandRowAsync(page, "instagram"));
        Assert.Equal("3", await page.Locator("table.citizens tr[data-citizen='2'] td.friends").InnerTextAsync());
        var friendsOf3 = (await page.Locator("table.citizens tr[data-citizen='3'] td.friends").InnerTextAsync()).Split(", ").Order();
        Assert.Equal(["1", "2", "4"], friendsOf3); // mirrored

        // Clearing a channel (empty field = null): 1's two courses move to "(no channel)".
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit citizen 1" }).ClickAsync();
        await page.GetByLabel("Advertising channel (empty: none)").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForFunctionAsync("() => Chart.getChart('courses-chart')?.data.datasets[0].data[0] === 4");
        await AssertCourseBarsAsync(page, ["(no channel)", "instagram", "tv"], [4.0, 2.0, 5.0]);
        await ShotAsync(page, "04b-import-courses");
    }

    [BrowserFact]
    public async Task On_a_390_px_phone_the_pages_fit_and_work()
    {
        using var api = await server.ApiClientAsync(server.PhoneSecret, "phone");
        var importId = await api.CreateImportAsync(Random(45, 30, seed: 7, DateOnly.FromDateTime(DateTime.UtcNow)));
        await using var browsing = await OpenAsync(390, 844);
        await browsing.StepsAsync("phone", () => PhoneStepsAsync(browsing.Page, api, importId));
        browsing.AssertClean();
    }

    private async Task PhoneStepsAsync(IPage page, HttpClient api, long importId)
    {

        await SignInAsync(page, "phone", server.PhoneSecret);
        await ShotAsync(page, "phone-01-imports");
        await AssertFitsAsync(page);

        await page.GetByRole(AriaRole.Link, new() { Name = $"Import {importId}" }).ClickAsync();
        await page.Locator("#birthdays-chart").WaitForAsync();
        await page.Locator("#citizens-title").WaitForAsync();
        var bars = await BirthdayBarsAsync(page);
        using (var birthdays = await api.GetAsync($"/imports/{importId}/citizens/birthdays"))
        {
            var data = (await birthdays.ReadJsonAsync()).GetProperty("data");
            Assert.Equal(Enumerable.Range(1, 12).Select(m => (double)data.GetProperty(m.ToString(CultureInfo.InvariantCulture)).EnumerateArray().Sum(b => b.GetProperty("presents").GetInt32())), bars);
        }
        await page.Locator("nav.pager span").Filter(new() { HasText = "page 1 of 3" }).WaitForAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Next →" }).ClickAsync();
        await page.Locator("nav.pager span").Filter(new() { HasText = "page 2 of 3" }).WaitForAsync();
        await ShotAsync(page, "phone-02-import-page");
        await AssertFitsAsync(page);

        // Courses and demand of an import without channels: one "(no channel)" bar holding every course.
        await page.Locator("#courses-chart").WaitForAsync();
        await page.Locator("#demand-result table.demand").WaitForAsync();
        using (var courses = await api.GetAsync($"/imports/{importId}/citizens/courses"))
        {
            var buyers = (await courses.ReadJsonAsync()).GetProperty("data").GetProperty("");
            await AssertCourseBarsAsync(page, ["(no channel)"], [buyers.EnumerateArray().Sum(b => b.GetProperty("courses").GetInt32())]);
        }
        await page.Locator("#courses-panel").ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, "phone-02b-courses.png") });
        await page.Locator("#demand-panel").ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, "phone-02c-demand.png") });

        // An import with channels on the phone: the chart, the table and the extra citizen columns fit.
        var channelImport = await api.CreateImportAsync(ChannelImport());
        await page.GotoAsync($"{server.Origin}/#/imports/{channelImport}");
        // Only the hash changes: wait for the new page's heading, so that no locator below finds the previous page's parts.
        await page.GetByRole(AriaRole.Heading, new() { Name = $"Import {channelImport}", Exact = true }).WaitForAsync();
        await page.Locator("#courses-chart").WaitForAsync();
        await page.Locator("table.citizens").WaitForAsync();
        await page.Locator("#demand-result table.demand").WaitForAsync();
        await AssertCourseBarsAsync(page, ["(no channel)", "instagram", "tv"], [2.0, 3.0, 4.0]);
        await page.Locator("#courses-panel").ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, "phone-02d-channel-courses.png") });
        await page.Locator("#demand-panel").ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, "phone-02e-channel-demand.png") });
        await AssertFitsAsync(page);
        await page.GotoAsync($"{server.Origin}/#/imports/{importId}");
        await page.GetByRole(AriaRole.Heading, new() { Name = $"Import {importId}", Exact = true }).WaitForAsync();
        await page.Locator("#birthdays-chart").WaitForAsync();
        await page.Locator("#citizens-title").WaitForAsync();

        // Keyboard: the month buttons list the buyers without a pointer.
        await page.Locator("button[data-month='1']").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#month-detail h3").Filter(new() { HasText = "January" }).WaitForAsync();

        // No admin scope: deleting is refused with the problem shown.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete this import" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Yes, delete import {importId}" }).ClickAsync();
        await page.Locator(".danger-zone .problem").WaitForAsync();
        Assert.Contains("403", await page.Locator(".danger-zone .problem").InnerTextAsync(), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Link, new() { Name = "Datasets" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Datasets", Exact = true }).WaitForAsync();
        await page.Locator("#datasets-list .empty, #datasets-list table").First.WaitForAsync();
        await ShotAsync(page, "phone-03-datasets");
        await AssertFitsAsync(page);

        // A small geographic dataset on the phone: its map and rows fit the screen.
        using (var uploaded = await api.PostAsync(
            $"/datasets?name=phone_airports&header=false&null=%5CN&columns={Analyzer.Docs.DatasetExamples.AirportColumns}",
            new StringContent(Analyzer.Docs.DatasetExamples.AirportsCsv, System.Text.Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        }
        await page.GotoAsync($"{server.Origin}/#/datasets/phone_airports");
        await page.Locator("path.points[data-count='4']").WaitForAsync();
        await page.Locator("table.rows").WaitForAsync();

        // A radius query on the phone: Goroka (PNG) alone within 100 km of itself, its distance listed.
        await page.GetByLabel("Latitude").FillAsync("-6.08");
        await page.GetByLabel("Longitude").FillAsync("145.39");
        await page.GetByLabel("Radius (km)").FillAsync("100");
        await page.GetByRole(AriaRole.Button, new() { Name = "Find rows nearby" }).ClickAsync();
        await page.Locator("#near-count").Filter(new() { HasText = "1 row within 100 km" }).WaitForAsync();
        Assert.Contains("Goroka Airport", await page.Locator(".near-list li").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains(" km", await page.Locator(".near-list li .near-km").InnerTextAsync(), StringComparison.Ordinal);
        await ShotAsync(page, "phone-04-dataset");
        await AssertFitsAsync(page);
    }

    /// <summary>Nothing sticks out of the viewport sideways (tables scroll inside their own box); names the widest elements when something does.</summary>
    private static async Task AssertFitsAsync(IPage page)
    {
        var viewport = page.ViewportSize!.Width;
        var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        var offenders = width <= viewport ? "" : await page.EvaluateAsync<string>("""
            w => [...document.querySelectorAll('body *')].filter(e => !e.parentElement.closest('.table-wrap') && e.getBoundingClientRect().right > w + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')
            """, viewport);
        Assert.True(width <= viewport, $"the page is {width} px wide on a {viewport} px screen: {offenders}");
    }
}
