using System.Text;
using System.Text.Json;
using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// The BlobCreated event of a dataset's _READY marker, in the Event Grid schema that Event Grid's
/// storage-queue delivery writes in Azure. `sslrec drop` builds the same JSON locally.
/// </summary>
public static class DropEvents
{
    /// <summary>Event Grid's subject for a blob: /blobServices/default/containers/{container}/blobs/{name}.</summary>
    public static string Subject(string container, string blob) => $"/blobServices/default/containers/{container}/blobs/{blob}";

    public static string BuildBlobCreated(Uri blobUri, string container, string blobName, long contentLength, string? storageAccountResourceId = null)
    {
        var data = new Dictionary<string, object?>
        {
            ["api"] = "PutBlob",
            ["clientRequestId"] = Guid.NewGuid().ToString(),
            ["requestId"] = Guid.NewGuid().ToString(),
            ["eTag"] = "0x0",
            ["contentType"] = "application/octet-stream",
            ["contentLength"] = contentLength,
            ["blobType"] = "BlockBlob",
            ["url"] = blobUri.ToString(),
            ["sequencer"] = DateTime.UtcNow.Ticks.ToString("x20"),
        };
        var e = new EventGridEvent(Subject(container, blobName), SystemEventNames.StorageBlobCreated, "1", BinaryData.FromObjectAsJson(data))
        {
            Topic = storageAccountResourceId ?? "/subscriptions/local/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
        };
        // EventGridEvent has no public serializer; write its wire format (the Event Grid schema) ourselves.
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", e.Id);
            w.WriteString("topic", e.Topic);
            w.WriteString("subject", e.Subject);
            w.WriteString("eventType", e.EventType);
            w.WriteString("eventTime", e.EventTime);
            w.WritePropertyName("data");
            using (var d = JsonDocument.Parse(e.Data.ToMemory())) d.WriteTo(w);
            w.WriteString("dataVersion", e.DataVersion);
            w.WriteString("metadataVersion", "1");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>
    /// The _READY blobs of the BlobCreated events in a message (other events are skipped), each with its
    /// dataset and version or, for a path that breaks the naming rule, why it cannot be processed.
    /// </summary>
    public static List<DatasetVersionMarker> ParseReadyEvents(string body)
    {
        var found = new List<DatasetVersionMarker>();
        foreach (var e in EventGridEvent.ParseMany(BinaryData.FromString(body)))
        {
            if (!e.TryGetSystemEventData(out var data) || data is not StorageBlobCreatedEventData) continue;
            const string marker = "/containers/" + BlobLayout.Datasets + "/blobs/";
            var i = e.Subject.IndexOf(marker, StringComparison.Ordinal);
            if (i < 0) continue;
            if (BlobLayout.ParseReady(e.Subject[(i + marker.Length)..]) is { } ready) found.Add(ready);
        }
        return found;
    }
}
