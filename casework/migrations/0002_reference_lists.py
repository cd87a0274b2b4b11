"""The admin-editable lists, seeded: assessment domains (MHLW's intake/assessment sheet),
stages of support (MHLW hikikomori guideline) and observable steps of progress."""

from django.db import migrations

DOMAINS = [
    ("life", "生活", "Daily life", "生活リズム、食事、身の回りのこと、家での過ごし方"),
    ("health", "健康", "Health", "心身の状態、睡眠、気になる症状"),
    ("medical", "医療", "Medical care", "通院・服薬、受診の必要、医療機関とのつながり"),
    ("family", "家族関係", "Family relations", "家族との会話、家族の困りごと、世帯の介護・看護"),
    ("economy", "経済", "Finances", "収入、年金・手当、生活困窮の恐れ、親亡き後の見通し"),
    ("housing", "住まい", "Housing", "住居の状態、ゴミ・片付け、住み続けられるか"),
    ("work_school", "就労/就学", "Work and school", "就労・就学の経験、いまの関心、中断の経緯"),
    ("participation", "社会参加", "Social participation", "外出の頻度、人との交流、居場所の利用"),
    ("wishes", "本人の希望", "The person's wishes", "本人が望むこと、してほしくないこと（本人の言葉で）"),
]
STAGES = [
    ("family_support", "家族への支援", "Support for the family", "家族との相談・家族会。本人とはまだ会えていない"),
    ("individual", "本人との出会い・個人への支援", "Meeting the person, individual support", "訪問・面談で本人と会えている"),
    ("group", "集団・居場所", "Groups and ibasho", "居場所やグループ活動に参加している"),
    ("participation", "社会参加の試行", "Trying social participation", "就労体験・ボランティア・就学など社会参加を試みている"),
]
STEPS = [
    ("outings", "外出の頻度が増えた", "Goes out more often"),
    ("family_talk", "家族との会話が増えた", "Talks more with the family"),
    ("keeps_consulting", "相談が続いている", "Keeps coming to consultations"),
    ("uses_ibasho", "居場所を利用した", "Used an ibasho"),
    ("daily_rhythm", "生活リズムが整った", "Daily rhythm improved"),
    ("sees_doctor", "受診につながった", "Started seeing a doctor"),
    ("own_wish", "自分の希望を話した", "Spoke about own wishes"),
]


def seed(apps, schema_editor):
    Domain = apps.get_model("casework", "AssessmentDomain")
    Stage = apps.get_model("casework", "SupportStage")
    Step = apps.get_model("casework", "ProgressStep")
    for n, (code, ja, en, guidance) in enumerate(DOMAINS, start=1):
        Domain.objects.get_or_create(
            code=code, defaults={"name_ja": ja, "name_en": en, "guidance": guidance,
                                 "sort_order": n * 10},
        )  # fmt: skip
    for n, (code, ja, en, description) in enumerate(STAGES, start=1):
        Stage.objects.get_or_create(
            code=code, defaults={"name_ja": ja, "name_en": en, "description": description,
                                 "sort_order": n * 10},
        )  # fmt: skip
    for n, (code, ja, en) in enumerate(STEPS, start=1):
        Step.objects.get_or_create(
            code=code, defaults={"name_ja": ja, "name_en": en, "sort_order": n * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
