using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;
using SslRec.Core.Input;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Notifications;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

namespace SslRec.Tests.Pipeline;

public class MessageTests
{
    [Fact]
    public void The_local_drop_event_is_a_blob_created_event_the_event_grid_sdk_parses()
    {
        var json = DropEvents.BuildBlobCreated(new Uri("http://127.0.0.1:10000/devstoreaccount1/datasets/shop/v3/_READY"), "datasets", "shop/v3/_READY", 7);
        var e = Assert.Single(EventGridEvent.ParseMany(BinaryData.FromString(json)));
        Assert.Equal(SystemEventNames.StorageBlobCreated, e.EventType);
        Assert.True(e.TryGetSystemEventData(out var data));
        var created = Assert.IsType<StorageBlobCreatedEventData>(data);
        Assert.EndsWith("/datasets/shop/v3/_READY", created.Url);
        Assert.Equal(7, created.ContentLength);
        Assert.Equal([("shop", "v3")], DropEvents.ParseReadyEvents(json).Select(e => (e.Dataset, e.Version)));

        // Event Grid may deliver events in an array; other blobs and containers are not dataset drops.
        var other = DropEvents.BuildBlobCreated(new Uri("http://x/devstoreaccount1/datasets/shop/v3/data.csv"), "datasets", "shop/v3/data.csv", 1);
        var elsewhere = DropEvents.BuildBlobCreated(new Uri("http://x/devstoreaccount1/artifacts/shop/v3/_READY"), "artifacts", "shop/v3/_READY", 1);
        Assert.Equal([("shop", "v3")], DropEvents.ParseReadyEvents($"[{other},{json},{elsewhere}]").Select(e => (e.Dataset, e.Version)));
    }

    [Fact]
    public void Messages_are_versioned_json_with_a_run_id()
    {
        var m = new ShardMapMessage { RunId = "shop.v3", Index = 2, Blob = "shop/v3/a.csv", Start = 10, End = 20 };
        var json = m.ToJson();
        Assert.Contains("\"v\":1", json);
        Assert.Contains("\"run\":\"shop.v3\"", json);
        Assert.Equal(m, JobMessage.Parse<ShardMapMessage>(json));
        Assert.Contains("unsupported message version 2", Assert.Throws<InvalidMessageException>(() => JobMessage.Parse<ShardMapMessage>(json.Replace("\"v\":1", "\"v\":2"))).Message);
        Assert.Contains("missing run id", Assert.Throws<InvalidMessageException>(() => JobMessage.Parse<TrainMessage>("{\"v\":1}")).Message);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidMessageException>(() => JobMessage.Parse<TrainMessage>("{")).Message);
    }

    [Fact]
    public void A_retrain_message_carries_its_run_suffix_as_run_on_the_wire_as_before()
    {
        // The wire names are the contract (docs/architecture.md, messages written by hand); the serialized
        // text is also what a retrain without a suffix hashes into one, so it must not change either.
        var m = new RetrainMessage { RunSuffix = "r1", Dataset = "shop", WarmStart = true };
        Assert.Equal("""{"dataset":"shop","warm_start":true,"v":1,"run":"r1"}""", m.ToJson());
        Assert.Equal("""{"dataset":"shop","warm_start":false,"v":1,"run":""}""", new RetrainMessage { Dataset = "shop" }.ToJson());
        Assert.Equal("""{"index":2,"v":1,"run":"shop@v3"}""", new RemapMessage { RunId = "shop@v3", Index = 2 }.ToJson());
        Assert.Equal("h", JobMessage.Parse<RetrainMessage>("""{"v":1,"run":"h","dataset":"hand"}""").RunSuffix);
        Assert.Equal("", JobMessage.Parse<RetrainMessage>("""{"v":1,"dataset":"hand"}""").RunSuffix); // no run id needed: it starts one
    }

    [Fact]
    public void A_map_message_says_what_its_range_counts_and_one_written_before_it_did_still_parses()
    {
        var m = ShardMapMessage.For("shop@v3", new ShardTask(2, "shop/v3/a.parquet", Catalog: false, 3, 5, RangeUnit.RowGroups));
        var json = m.ToJson();
        Assert.Contains("\"unit\":\"row_groups\"", json);
        Assert.Equal(m, JobMessage.Parse<ShardMapMessage>(json));

        // a message and a run record's task as versions before the unit wrote them: the blob's format gives the unit
        var old = JobMessage.Parse<ShardMapMessage>("""{"v":1,"run":"shop@v3","index":2,"blob":"shop/v3/a.csv","catalog":false,"start":10,"end":20}""");
        Assert.Equal((10L, 20L, (RangeUnit?)null), (old.Start, old.End, old.Unit));
        var task = System.Text.Json.JsonSerializer.Deserialize<ShardTask>("""{"index":2,"blob":"shop/v3/a.csv","catalog":false,"start":10,"end":20}""", BlobStore.Json)!;
        Assert.Equal(new ShardTask(2, "shop/v3/a.csv", false, 10, 20), task);
    }
}
