using System.Text;
using System.Text.RegularExpressions;
using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Core.Converters;

/// <summary>
/// Converts a MovieLens release into SslRec's format. ml-1m (ratings.dat, movies.dat, users.dat with
/// "::" separators, Latin-1 text) and ml-20m/ml-25m/ml-latest (ratings.csv, movies.csv). A rating at or
/// above the threshold is a positive (user, movie) interaction. Query features: user id, and for ml-1m
/// gender, age group and occupation. Item features: movie id (key), genres, title words, release year.
/// Ratings are streamed; only movies (and ml-1m users) are held in memory.
/// </summary>
public static partial class MovieLensConverter
{
    public sealed record Result(long Ratings, long Positives, int Movies, string Format);

    public static Result Convert(string input, string output, double minRating = 4.0)
    {
        var oneM = File.Exists(Path.Combine(input, "ratings.dat"));
        if (!oneM && !File.Exists(Path.Combine(input, "ratings.csv")))
            throw new FileNotFoundException($"{input}: neither ratings.dat (ml-1m) nor ratings.csv (ml-20m/25m/latest) found");
        Directory.CreateDirectory(output);
        var latin1 = Encoding.Latin1;
        var movies = oneM ? ReadMoviesDat(Path.Combine(input, "movies.dat"), latin1) : ReadMoviesCsv(Path.Combine(input, "movies.csv"));
        var users = oneM && File.Exists(Path.Combine(input, "users.dat")) ? ReadUsers(Path.Combine(input, "users.dat"), latin1) : null;

        using (var items = new StreamWriter(Path.Combine(output, "items.csv")))
        {
            items.WriteLine("movie_id,genres,title_words,year");
            foreach (var (id, m) in movies) items.WriteLine($"{id},{CsvText.Field(m.Genres)},{CsvText.Field(m.Words)},{m.Year}");
        }

        long ratings = 0, positives = 0;
        var ratingsPath = Path.Combine(input, oneM ? "ratings.dat" : "ratings.csv");
        using (var reader = new StreamReader(ratingsPath, oneM ? latin1 : Encoding.UTF8))
        using (var writer = new StreamWriter(Path.Combine(output, "interactions.csv")))
        {
            writer.WriteLine(users is null ? "user_id,movie_id" : "user_id,gender,age,occupation,movie_id");
            var row = 0L;
            if (!oneM) { reader.ReadLine(); row++; } // header
            while (reader.ReadLine() is { } line)
            {
                row++;
                if (line.Length == 0) continue;
                var f = oneM ? line.Split("::") : line.Split(',');
                if (f.Length < 3 || !double.TryParse(f[2], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var rating))
                    throw new DataFormatException(ratingsPath, row, "rating", $"expected user, movie, rating, timestamp; got '{line}'");
                ratings++;
                if (rating < minRating) continue;
                if (!movies.ContainsKey(f[1])) throw new DataFormatException(ratingsPath, row, "movie", $"movie {f[1]} is not in the movies file");
                positives++;
                if (users is null) writer.WriteLine($"{f[0]},{f[1]}");
                else
                {
                    var u = users.GetValueOrDefault(f[0]) ?? throw new DataFormatException(ratingsPath, row, "user", $"user {f[0]} is not in users.dat");
                    writer.WriteLine($"{f[0]},{u.Gender},{u.Age},{u.Occupation},{f[1]}");
                }
            }
        }

        var query = new List<FeatureSpec> { new() { Name = "user_id", Type = FeatureType.Categorical, Side = FeatureSide.Query } };
        if (users is not null)
            query.AddRange(new[] { "gender", "age", "occupation" }.Select(n => new FeatureSpec { Name = n, Type = FeatureType.Categorical, Side = FeatureSide.Query }));
        var schema = new DatasetSchema(query,
        [
            new FeatureSpec { Name = "movie_id", Type = FeatureType.Categorical, Side = FeatureSide.Item, Key = true },
            new FeatureSpec { Name = "genres", Type = FeatureType.Multi, Side = FeatureSide.Item },
            new FeatureSpec { Name = "title_words", Type = FeatureType.Multi, Side = FeatureSide.Item },
            new FeatureSpec { Name = "year", Type = FeatureType.Categorical, Side = FeatureSide.Item },
        ], new SplitSpec(0.1, 42));
        File.WriteAllText(Path.Combine(output, DatasetSchema.FileName), schema.ToJson());
        return new Result(ratings, positives, movies.Count, oneM ? "ml-1m" : "ml-20m/25m/latest");
    }

    private sealed record Movie(string Genres, string Words, string Year);
    private sealed record User(string Gender, string Age, string Occupation);

    [GeneratedRegex(@"\((\d{4})\)\s*$")]
    private static partial Regex YearPattern();

    private static Movie MakeMovie(string title, string genres)
    {
        var year = YearPattern().Match(title);
        var name = year.Success ? title[..year.Index] : title;
        return new Movie(genres == "(no genres listed)" ? "" : genres, CsvText.Words(name), year.Success ? year.Groups[1].Value : "");
    }

    private static Dictionary<string, Movie> ReadMoviesDat(string path, Encoding encoding)
    {
        var movies = new Dictionary<string, Movie>();
        var row = 0L;
        foreach (var line in File.ReadLines(path, encoding))
        {
            row++;
            if (line.Length == 0) continue;
            var f = line.Split("::");
            if (f.Length != 3) throw new DataFormatException(path, row, null, "expected MovieID::Title::Genres");
            movies[f[0]] = MakeMovie(f[1], f[2]);
        }
        return movies;
    }

    private static Dictionary<string, Movie> ReadMoviesCsv(string path)
    {
        var movies = new Dictionary<string, Movie>();
        var row = 0L;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            row++;
            if (line.Length == 0) continue;
            var f = CsvText.ParseLine(line);
            if (f.Count != 3) throw new DataFormatException(path, row + 1, null, "expected movieId,title,genres");
            movies[f[0]] = MakeMovie(f[1], f[2]);
        }
        return movies;
    }

    private static Dictionary<string, User> ReadUsers(string path, Encoding encoding)
    {
        var users = new Dictionary<string, User>();
        var row = 0L;
        foreach (var line in File.ReadLines(path, encoding))
        {
            row++;
            if (line.Length == 0) continue;
            var f = line.Split("::");
            if (f.Length < 4) throw new DataFormatException(path, row, null, "expected UserID::Gender::Age::Occupation::Zip-code");
            users[f[0]] = new User(f[1], f[2], f[3]);
        }
        return users;
    }
}
