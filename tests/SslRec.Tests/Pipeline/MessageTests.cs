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
