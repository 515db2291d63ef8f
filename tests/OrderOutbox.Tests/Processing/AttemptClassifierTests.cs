using FluentAssertions;
using OrderOutbox.Processing;
using Xunit;

namespace OrderOutbox.Tests.Processing;

public sealed class AttemptClassifierTests
{
    private static readonly DateTimeOffset Attempted = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Completed = Attempted.AddSeconds(2);
    private static readonly IBackoffPolicy Seed = new ExponentialBackoffPolicy(new BackoffOptions());

    private static OutboxMessage Claimed(int retryCount) => new()
    {
        Id = Guid.Parse("0195a3c4-0000-7000-8000-000000000001"),
        MessageType = "order.completed",
        Payload = "{}",
        Status = retryCount == 0 ? OutboxStatus.Pending : OutboxStatus.Failed,
        RetryCount = retryCount,
        CreatedAt = Attempted.AddMinutes(-1),
        NextAttemptAt = Attempted,
        LeaseOwner = "node/abc/7",
        LeaseExpiresAt = Attempted.AddMinutes(5),
    };

    /// <summary>The seed's table: after failed attempt n (retry count n-1 before it), the wait is 1, 2, 4, 8, 16 minutes; the sixth failure dead-letters.</summary>
    public static TheoryData<int, OutboxStatus, int, double?, string> RetryTable => new()
    {
        { 0, OutboxStatus.Failed, 1, 1, "transient" },
        { 1, OutboxStatus.Failed, 2, 2, "transient" },
        { 2, OutboxStatus.Failed, 3, 4, "transient" },
        { 3, OutboxStatus.Failed, 4, 8, "transient" },
        { 4, OutboxStatus.Failed, 5, 16, "transient" },
        { 5, OutboxStatus.DeadLetter, 6, null, "retries_exhausted" },
        { 9, OutboxStatus.DeadLetter, 10, null, "retries_exhausted" },
    };

    [Theory]
    [MemberData(nameof(RetryTable))]
    public void A_transient_failure_follows_the_seed_retry_table(int retryCountBefore, OutboxStatus status, int retryCountAfter, double? waitMinutes, string errorType)
    {
        AttemptClassification verdict = AttemptClassifier.Classify(
            Claimed(retryCountBefore), DispatchResult.Transient("HTTP 503 Service Unavailable"), Seed, Attempted, Completed);

        verdict.Outcome.Status.Should().Be(status);
        verdict.Outcome.RetryCount.Should().Be(retryCountAfter);
        verdict.Outcome.NextAttemptAt.Should().Be(waitMinutes is { } m ? Completed.AddMinutes(m) : null);
        verdict.Outcome.LastError.Should().Be("HTTP 503 Service Unavailable");
        verdict.ResultName.Should().Be("transient");
        verdict.ErrorType.Should().Be(errorType);
    }

    /// <summary>How the HTTP dispatcher's answers (one per status class) arrive at the classifier, and what they become.</summary>
    public static TheoryData<string, DispatchResult, OutboxStatus, string, string> HttpClasses => new()
    {
        { "200 OK", DispatchResult.Success, OutboxStatus.Sent, "success", "" },
        { "204 No Content", DispatchResult.Success, OutboxStatus.Sent, "success", "" },
        { "400 Bad Request", DispatchResult.Permanent("HTTP 400 Bad Request"), OutboxStatus.DeadLetter, "permanent", "permanent" },
        { "422 Unprocessable Entity", DispatchResult.Permanent("HTTP 422 Unprocessable Entity"), OutboxStatus.DeadLetter, "permanent", "permanent" },
        { "401 Unauthorized", DispatchResult.Transient("HTTP 401 Unauthorized"), OutboxStatus.Failed, "transient", "transient" },
        { "404 Not Found", DispatchResult.Transient("HTTP 404 Not Found"), OutboxStatus.Failed, "transient", "transient" },
        { "408 Request Timeout", DispatchResult.Transient("HTTP 408 Request Timeout"), OutboxStatus.Failed, "transient", "transient" },
        { "429 Too Many Requests", DispatchResult.Transient("HTTP 429 Too Many Requests"), OutboxStatus.Failed, "transient", "transient" },
        { "500 Internal Server Error", DispatchResult.Transient("HTTP 500 Internal Server Error"), OutboxStatus.Failed, "transient", "transient" },
        { "503 Service Unavailable", DispatchResult.Transient("HTTP 503 Service Unavailable"), OutboxStatus.Failed, "transient", "transient" },
        { "network error", DispatchResult.Transient("HttpRequestException: Connection refused"), OutboxStatus.Failed, "transient", "transient" },
    };

    [Theory]
    [MemberData(nameof(HttpClasses))]
    public void Every_http_class_maps_to_its_outcome(string answer, DispatchResult result, OutboxStatus status, string resultName, string errorType)
    {
        AttemptClassification verdict = AttemptClassifier.Classify(Claimed(0), result, Seed, Attempted, Completed);

        verdict.Outcome.Status.Should().Be(status, answer);
        verdict.ResultName.Should().Be(resultName);
        verdict.ErrorType.Should().Be(errorType);
        verdict.Outcome.Id.Should().Be(Claimed(0).Id);
        verdict.Outcome.LeaseOwner.Should().Be("node/abc/7", "the write is fenced by the claim token");
        verdict.Outcome.AttemptedAt.Should().Be(Attempted);
        verdict.Outcome.CompletedAt.Should().Be(Completed);
        verdict.Outcome.RetryCount.Should().Be(status == OutboxStatus.Sent ? 0 : 1);
        verdict.Outcome.LastError.Should().Be(result.Error);
    }

    public static TheoryData<double, double> RetryAfterRows => new()
    {
        { 10, 10 },     // longer than the 1-minute delay: honoured
        { 0.5, 1 },     // shorter: the backoff delay stands
        { 1, 1 },       // equal
    };

    [Theory]
    [MemberData(nameof(RetryAfterRows))]
    public void Retry_after_lengthens_the_wait_but_never_shortens_it(double retryAfterMinutes, double expectedWaitMinutes)
    {
        AttemptClassification verdict = AttemptClassifier.Classify(
            Claimed(0), DispatchResult.Transient("HTTP 429", TimeSpan.FromMinutes(retryAfterMinutes)), Seed, Attempted, Completed);

        verdict.Outcome.Status.Should().Be(OutboxStatus.Failed);
        verdict.Outcome.NextAttemptAt.Should().Be(Completed.AddMinutes(expectedWaitMinutes));
    }

    [Fact]
    public void Retry_after_does_not_extend_exhausted_retries()
    {
        AttemptClassification verdict = AttemptClassifier.Classify(
            Claimed(5), DispatchResult.Transient("HTTP 429", TimeSpan.FromMinutes(30)), Seed, Attempted, Completed);

        verdict.Outcome.Status.Should().Be(OutboxStatus.DeadLetter);
        verdict.Outcome.NextAttemptAt.Should().BeNull();
        verdict.ErrorType.Should().Be("retries_exhausted");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void A_call_that_was_not_made_spends_no_retry_even_when_none_is_left(int retryCount)
    {
        AttemptClassification verdict = AttemptClassifier.Classify(
            Claimed(retryCount), DispatchResult.NotSent("Endpoint 'default' is paused for 30 s more; not sent.", TimeSpan.FromSeconds(30)), Seed, Attempted, Completed);

        verdict.Outcome.Status.Should().Be(OutboxStatus.Failed);
        verdict.Outcome.RetryCount.Should().Be(retryCount, "nothing was sent, so no attempt is counted");
        verdict.Outcome.NextAttemptAt.Should().Be(Completed.AddSeconds(30));
        verdict.Outcome.LastError.Should().Contain("not sent");
        verdict.ResultName.Should().Be("not_sent");
        verdict.CircuitResult.Should().Be(CircuitResult.Abandoned, "a call not made says nothing about the endpoint");
    }

    [Fact]
    public void A_permanent_failure_dead_letters_at_once_whatever_the_retries_left()
    {
        AttemptClassification verdict = AttemptClassifier.Classify(Claimed(2), DispatchResult.Permanent("HTTP 400 Bad Request: no"), Seed, Attempted, Completed);

        verdict.Outcome.Should().Be(new OutboxOutcome(Claimed(2).Id, "node/abc/7", OutboxStatus.DeadLetter, 3, Attempted, Completed, null, "HTTP 400 Bad Request: no"));
        verdict.ErrorType.Should().Be("permanent");
    }

    [Fact]
    public void A_timeout_is_a_transient_failure_tagged_timeout()
    {
        AttemptClassification verdict = AttemptClassifier.ClassifyTimeout(Claimed(1), "Timeout after 10s", Seed, Attempted, Completed);

        verdict.Outcome.Status.Should().Be(OutboxStatus.Failed);
        verdict.Outcome.RetryCount.Should().Be(2);
        verdict.Outcome.NextAttemptAt.Should().Be(Completed.AddMinutes(2));
        verdict.Outcome.LastError.Should().Be("Timeout after 10s");
        verdict.ResultName.Should().Be("transient");
        verdict.ErrorType.Should().Be("timeout");
    }

    [Fact]
    public void A_timeout_on_the_last_retry_dead_letters()
    {
        AttemptClassification verdict = AttemptClassifier.ClassifyTimeout(Claimed(5), "Timeout after 10s", Seed, Attempted, Completed);

        verdict.Outcome.Status.Should().Be(OutboxStatus.DeadLetter);
        verdict.ErrorType.Should().Be("retries_exhausted");
    }

    [Fact]
    public void An_exception_is_a_transient_failure_named_by_its_type_and_message()
    {
        AttemptClassification verdict = AttemptClassifier.ClassifyException(Claimed(0), new InvalidOperationException("socket gone"), Seed, Attempted, Completed);

        verdict.Outcome.Status.Should().Be(OutboxStatus.Failed);
        verdict.Outcome.LastError.Should().Be("InvalidOperationException: socket gone");
        verdict.Outcome.NextAttemptAt.Should().Be(Completed.AddMinutes(1));
        verdict.ResultName.Should().Be("transient");
        verdict.ErrorType.Should().Be("System.InvalidOperationException");
    }

    [Fact]
    public void A_default_result_is_a_transient_failure_never_a_success()
    {
        AttemptClassification verdict = AttemptClassifier.Classify(Claimed(0), default, Seed, Attempted, Completed);

        default(DispatchResult).Kind.Should().Be(DispatchResultKind.Unknown);
        verdict.Outcome.Status.Should().Be(OutboxStatus.Failed);
        verdict.Outcome.NextAttemptAt.Should().Be(Completed.AddMinutes(1));
        verdict.Outcome.LastError.Should().Be(AttemptClassifier.UnknownResultError).And.Contain("default(DispatchResult)");
        verdict.ResultName.Should().Be("transient");
        verdict.ErrorType.Should().Be("unknown_result");
    }

    [Fact]
    public void The_error_text_is_made_storable_and_cut_to_the_limit()
    {
        AttemptClassification nul = AttemptClassifier.Classify(Claimed(0), DispatchResult.Transient("err\0x"), Seed, Attempted, Completed);
        AttemptClassification longText = AttemptClassifier.Classify(Claimed(0), DispatchResult.Permanent(new string('x', 5000)), Seed, Attempted, Completed);

        nul.Outcome.LastError.Should().Be("err\\u0000x");
        longText.Outcome.LastError.Should().HaveLength(AttemptClassifier.MaxErrorLength);
    }

    [Fact]
    public void The_outcome_factories_fill_every_field_and_refuse_an_unclaimed_record()
    {
        OutboxMessage m = Claimed(3);
        DateTimeOffset next = Completed.AddMinutes(8);

        OutboxOutcome.Sent(m, Attempted, Completed).Should().Be(new OutboxOutcome(m.Id, "node/abc/7", OutboxStatus.Sent, 3, Attempted, Completed, null, null));
        OutboxOutcome.Failed(m, Attempted, Completed, next, "e").Should().Be(new OutboxOutcome(m.Id, "node/abc/7", OutboxStatus.Failed, 4, Attempted, Completed, next, "e"));
        OutboxOutcome.DeadLetter(m, Attempted, Completed, "e").Should().Be(new OutboxOutcome(m.Id, "node/abc/7", OutboxStatus.DeadLetter, 4, Attempted, Completed, null, "e"));

        OutboxMessage unclaimed = new() { Id = m.Id, MessageType = "t", Payload = "{}" };
        Action act = () => OutboxOutcome.Sent(unclaimed, Attempted, Completed);
        act.Should().Throw<ArgumentException>().WithParameterName("message").WithMessage("*LeaseOwner = null*ClaimAsync*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public void A_failed_probe_keeps_the_retry_count_is_due_at_once_and_stores_its_error(int retryCount)
    {
        OutboxMessage message = Claimed(retryCount);
        AttemptClassification attempt = AttemptClassifier.Classify(message, DispatchResult.Transient("HTTP 503 Service Unavailable"), Seed, Attempted, Completed);

        AttemptClassification probe = AttemptClassifier.FailedProbe(message, attempt, "orders");

        probe.Outcome.Status.Should().Be(OutboxStatus.Failed, "a probe's failure never dead-letters, even with no retry left");
        probe.Outcome.RetryCount.Should().Be(retryCount);
        probe.Outcome.NextAttemptAt.Should().Be(Completed, "the open circuit, not the record's schedule, holds it");
        probe.Outcome.AttemptedAt.Should().Be(Attempted);
        probe.Outcome.LastError.Should().Contain("Circuit probe failed: endpoint 'orders'").And.EndWith("HTTP 503 Service Unavailable");
        probe.ResultName.Should().Be(attempt.ResultName, "the call was made and failed: its telemetry stays");
        probe.CircuitResult.Should().Be(CircuitResult.EndpointFailure);
    }
}
