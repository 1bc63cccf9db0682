using SslRec.Core.Schema;

namespace SslRec.Tests.Core;

public class SchemaTests
{
    private const string Valid = """
        { "query": [ {"name": "user_id", "type": "categorical"}, {"name": "history", "type": "multi", "separator": ";"} ],
          "item":  [ {"name": "item_id", "type": "categorical", "key": true}, {"name": "tags", "type": "multi", "min_count": 3, "oov_buckets": 4} ],
          "split": {"holdout_fraction": 0.2, "seed": 7}, "ignore": ["ts"] }
        """;

    [Fact]
    public void Parses_features_split_and_ignore()
    {
        var s = DatasetSchema.Parse(Valid);
        Assert.Equal(["user_id", "history", "item_id", "tags"], s.All.Select(f => f.Name));
        Assert.Equal(';', s.Query[1].Separator);
        Assert.Equal(FeatureType.Multi, s.Item[1].Type);
        Assert.Equal(3, s.Item[1].MinCount);
        Assert.Equal(4, s.Item[1].OovBuckets);
        Assert.Equal("item_id", s.ItemKey.Name);
        Assert.Equal(0.2, s.Split.HoldoutFraction);
        Assert.Equal(7UL, s.Split.Seed);
        Assert.Contains("ts", s.Ignore);
    }

    [Fact]
    public void Ties_parse_round_trip_and_untie()
    {
        var s = DatasetSchema.Parse("""
            { "query": [ {"name": "src", "type": "categorical", "shares": "page"}, {"name": "q", "type": "categorical"} ],
              "item":  [ {"name": "page", "type": "categorical", "key": true} ] }
            """);
        Assert.Equal("page", s.Query[0].Shares);
        Assert.Equal(2, s.TableOwner(0));   // the item feature's index in All
        Assert.Equal(1, s.TableOwner(1));
        Assert.True(s.HasTies);
        Assert.Equal(s.All, DatasetSchema.Parse(s.ToJson()).All);
        Assert.False(s.Untied().HasTies);
    }

    [Fact]
    public void Round_trips_through_json()
    {
        var s = DatasetSchema.Parse(Valid);
        var again = DatasetSchema.Parse(s.ToJson());
        Assert.Equal(s.All, again.All);
        Assert.Equal(s.Split, again.Split);
    }

    [Theory]
    [InlineData("""{"query": [{"name":"u","type":"categorical"}], "item": [{"name":"i","type":"categorical"}]}""", "exactly one item feature must have \"key\": true")]
    [InlineData("""{"query": [{"name":"u","type":"numeric"}], "item": [{"name":"i","type":"categorical","key":true}]}""", "feature 'u': unknown type 'numeric'")]
    [InlineData("""{"query": [{"name":"i","type":"categorical"}], "item": [{"name":"i","type":"categorical","key":true}]}""", "feature 'i' is declared twice")]
    [InlineData("""{"query": [{"name":"u","type":"categorical","colour":1}], "item": [{"name":"i","type":"categorical","key":true}]}""", "query[0]: unknown field 'colour'")]
    [InlineData("""{"query": [{"name":"u","type":"categorical"}], "item": [{"name":"i","type":"multi","key":true}]}""", "feature 'i': the item key must be categorical")]
    [InlineData("""{"query": [{"name":"u","type":"categorical"}], "item": [{"name":"i","type":"categorical","key":true}], "split": {"holdout_fraction": 1.5}}""", "split.holdout_fraction must be in [0, 1)")]
    [InlineData("""{"query": [], "item": [{"name":"i","type":"categorical","key":true}]}""", "no query features")]
    [InlineData("""{"query": [ """, "invalid JSON")]
    [InlineData("""{"query": [{"name":"u","type":"categorical","shares":"nope"}], "item": [{"name":"i","type":"categorical","key":true}]}""", "feature 'u': shares 'nope', which is not an item feature")]
    [InlineData("""{"query": [{"name":"u","type":"multi","shares":"i"}], "item": [{"name":"i","type":"categorical","key":true}]}""", "feature 'u' (multi) cannot share 'i' (categorical)")]
    [InlineData("""{"query": [{"name":"u","type":"categorical","shares":"i"}, {"name":"v","type":"categorical","shares":"i"}], "item": [{"name":"i","type":"categorical","key":true}]}""", "feature 'v': item feature 'i' is already shared by 'u'")]
    [InlineData("""{"query": [{"name":"u","type":"categorical"}], "item": [{"name":"i","type":"categorical","key":true}, {"name":"j","type":"categorical","shares":"i"}]}""", "feature 'j': only a query feature can share")]
    public void Rejects_bad_schemas_naming_file_and_feature(string json, string expected)
    {
        var e = Assert.Throws<SchemaException>(() => DatasetSchema.Parse(json, "data/schema.json"));
        Assert.StartsWith("data/schema.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
