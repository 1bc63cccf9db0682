namespace SslRec.Pipeline.Settings;

/// <summary>
/// Settings the queue-triggered functions read. Registered in DI because the hosts construct function
/// classes themselves (ActivatorUtilities), so constructor defaults would silently win over a registration.
/// </summary>
public sealed record FunctionSettings(int MaxDequeueCount);
