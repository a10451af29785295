"""The monitoring tests find metric and label names in PromQL: functions, keywords and variables are not names."""

from tests.support.promql import names


def test_metrics_labels_and_grouping_are_told_apart_from_functions_and_keywords():
    found = names(
        "histogram_quantile(0.99, sum by (service, le) (rate(ketnoi_entrypoint_duration_seconds_bucket"
        '{kind=~"http|rpc", service!=""}[5m]))) > 2.5 and on (service) up offset 5m == bool 1'
    )
    assert found.metrics == {"ketnoi_entrypoint_duration_seconds_bucket", "up"}
    assert found.selectors[0].matchers == {"kind": ("=~", "http|rpc"), "service": ("!=", "")}
    assert found.grouping == {"service", "le"}


def test_raw_strings_grafana_variables_and_postfix_grouping():
    found = names(
        'max(rabbitmq_detailed_queue_consumers{queue=~`ketnoi\\.[^.]+\\.[^.]+`, vhost="$vhost"}) '
        "by (queue) / ignoring (vhost) group_left count(x:recorded:rate5m[$__rate_interval])"
    )
    assert found.metrics == {"rabbitmq_detailed_queue_consumers", "x:recorded:rate5m"}
    assert found.selectors[0].matchers["queue"] == ("=~", "ketnoi\\.[^.]+\\.[^.]+")
    assert found.selectors[0].matchers["vhost"] == ("=", "$vhost")
    assert found.grouping == {"queue", "vhost"}


def test_a_selector_without_a_name_names_its_metric_by_label():
    found = names('sum without (instance) ({__name__="ketnoi_booths", status="free"}) * 1e3')
    assert found.metrics == {"ketnoi_booths"}
    assert found.grouping == {"instance"}
