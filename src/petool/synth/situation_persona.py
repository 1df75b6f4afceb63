"""The persona traits: why a user's profile and stated preferences make one app fit.

Each has four or more app-side phrasings and four or more user-side cues (see
:mod:`petool.synth.situation_traits`). All texts are petool's own.
"""

from __future__ import annotations

from petool.synth.situation_base import Trait, age_of

PERSONA_TRAITS: tuple[Trait, ...] = (
    Trait(
        "budget",
        "persona",
        ("shopping", "food", "rides", "travel", "media", "fitness", "general"),
        (
            "Known for rock-bottom prices, daily coupons and flash sales.",
            "Everything is discounted: group deals, cashback and members-only prices.",
            "The cheapest option on the market, with price-match guarantees.",
            "Built for bargain hunters: clearance deals and low fees on every order.",
        ),
        (
            "Always compares prices and waits for a discount before paying.",
            "Hunts for coupons and cashback on every purchase.",
            "Picks whatever is cheapest, even if it takes a little longer.",
            "Keeps a tight budget and never pays full price if a deal exists.",
        ),
        implied=lambda p: p.get("Income Level") == "0-5k",
        conflicts=("premium",),
    ),
    Trait(
        "premium",
        "persona",
        ("shopping", "food", "rides", "travel", "fitness"),
        (
            "Offers only authorised premium brands with a quality guarantee.",
            "A high-end service: luxury selections and white-glove support.",
            "Curated premium products; prices are higher but quality is assured.",
            "Focused on top brands, genuine goods and exclusive VIP service.",
        ),
        (
            "Cares about brand and quality far more than price.",
            "Only buys genuine products from well-known premium brands.",
            "Happy to pay extra for a first-class experience.",
            "Prefers luxury and exclusive services over bargains.",
        ),
        implied=lambda p: p.get("Income Level") == ">50k",
        allowed=lambda p: p.get("Income Level") in ("10k-50k", ">50k"),
        conflicts=("budget",),
    ),
    Trait(
        "senior",
        "persona",
        ("shopping", "food", "news", "fitness", "knowledge", "media", "general"),
        (
            "Large fonts, a simple interface and health reminders make it easy for older users.",
            "Designed for seniors: big buttons, voice guidance and family assistance.",
            "An elder-friendly app with a simplified layout and built-in health monitoring.",
            "Popular with retirees thanks to its clear screens and step-by-step help.",
        ),
        (
            "Finds busy screens and small text hard to read.",
            "Wants apps that are simple and easy to follow, with large text.",
            "Asks the grandchildren for help whenever an app gets complicated.",
            "Likes keeping an eye on blood pressure and daily health reminders.",
        ),
        implied=lambda p: age_of(p) >= 60,
        allowed=lambda p: age_of(p) >= 60,
        conflicts=("youth",),
    ),
    Trait(
        "youth",
        "persona",
        ("shopping", "food", "news", "media", "fitness", "general"),
        (
            "Popular with students and young people for its trendy, social features.",
            "A favourite of Gen Z: memes, short videos and sharing with friends.",
            "Young, fashionable and social; most of its users are under 30.",
            "Trendy picks and campus deals that young users love.",
        ),
        (
            "Likes trendy apps that friends share on social media.",
            "Follows whatever is popular among classmates and friends.",
            "Enjoys fun, social features and sharing everything online.",
            "Always tries the newest, most talked-about apps first.",
        ),
        implied=lambda p: age_of(p) <= 25,
        allowed=lambda p: age_of(p) <= 30,
        conflicts=("senior",),
    ),
    Trait(
        "female",
        "persona",
        ("shopping", "media", "fitness", "news"),
        (
            "Curated mainly for women: beauty, fashion and women's health.",
            "Its audience is mostly female, with skincare and style content.",
            "A women-focused service with female coaches and creators.",
            "Made for women, from cosmetics to maternity and yoga.",
        ),
        (
            "Mostly browses beauty, skincare and fashion content.",
            "Follows female creators and women's lifestyle channels.",
            "Loves makeup tutorials and seasonal fashion picks.",
            "Prefers services made with women in mind.",
        ),
        implied=lambda p: p.get("Gender") == "Female",
        allowed=lambda p: p.get("Gender") == "Female",
        conflicts=("male",),
    ),
    Trait(
        "male",
        "persona",
        ("shopping", "media", "fitness", "news"),
        (
            "Aimed mainly at men: gadgets, outdoor gear and men's grooming.",
            "Its users are mostly male, with tech, cars and strength training.",
            "A men-focused service with male coaches and reviewers.",
            "Made for men, from razors to power tools and fishing gear.",
        ),
        (
            "Mostly browses gadgets, cars and outdoor gear.",
            "Follows men's fitness and tech review channels.",
            "Loves power tools, fishing trips and car magazines.",
            "Prefers services made with men in mind.",
        ),
        implied=lambda p: p.get("Gender") == "Male",
        allowed=lambda p: p.get("Gender") == "Male",
        conflicts=("female",),
    ),
    Trait(
        "factual_news",
        "persona",
        ("news", "media", "knowledge"),
        (
            "Focuses on serious current affairs, politics and economics from verified sources.",
            "Fact-checked reporting and in-depth analysis of world events.",
            "A no-nonsense feed of breaking news, policy and markets.",
            "Trusted journalism: international affairs and economic reports.",
        ),
        (
            "Reads in-depth, fact-checked reporting on politics and the economy every morning.",
            "Wants reliable current-affairs news, not rumours.",
            "Follows international relations and economic policy closely.",
            "Starts the day with serious headlines from trusted outlets.",
        ),
        conflicts=("gossip",),
    ),
    Trait(
        "gossip",
        "persona",
        ("news", "media"),
        (
            "Celebrity gossip, variety shows and entertainment headlines all day.",
            "The go-to place for showbiz news, idols and viral drama.",
            "Light entertainment: star news, TV dramas and red-carpet photos.",
            "All about celebrities, fandoms and the latest entertainment buzz.",
        ),
        (
            "Can't get enough of celebrity news and variety shows.",
            "Follows idols and every twist of the latest TV drama.",
            "Reads showbiz gossip during every commute.",
            "Loves entertainment news more than politics.",
        ),
        conflicts=("factual_news",),
    ),
    Trait(
        "sports_gaming",
        "persona",
        ("news", "media"),
        (
            "Covers live scores, football leagues, esports and game reviews.",
            "The home of sports highlights and gaming tournaments.",
            "Match results, transfer news and esports streams in one place.",
            "Made for fans: sports data, gaming news and live commentary.",
        ),
        (
            "Never misses a football match or an esports final.",
            "Checks live scores and game patches several times a day.",
            "Plays online games every evening and follows the pro scene.",
            "Follows basketball and gaming tournaments closely.",
        ),
    ),
    Trait(
        "easy_tips",
        "persona",
        ("knowledge", "fitness", "food", "general"),
        (
            "Short, easy lifestyle tips and how-tos in plain language.",
            "Bite-sized everyday advice that anyone can follow.",
            "Simple explanations and quick tips for daily life.",
            "Light, easy reading: life hacks and practical basics.",
        ),
        (
            "Likes quick, practical tips rather than long explanations.",
            "Wants simple answers in everyday language.",
            "Reads life hacks and easy how-to guides in spare minutes.",
            "Prefers light content over technical detail.",
        ),
        conflicts=("expert_qa", "paid_courses"),
    ),
    Trait(
        "expert_qa",
        "persona",
        ("knowledge", "finance", "general"),
        (
            "A community of verified professionals answering specialised questions.",
            "In-depth, technical Q&A with cited sources and expert reviewers.",
            "Specialist knowledge: detailed answers for professional problems.",
            "Deep, rigorous discussions moderated by domain experts.",
        ),
        (
            "Asks detailed technical questions related to work.",
            "Wants rigorous, well-sourced answers from specialists.",
            "Enjoys digging into professional topics in depth.",
            "Reads research-level discussions in the evenings.",
        ),
        allowed=lambda p: age_of(p) >= 20,
        conflicts=("easy_tips",),
    ),
    Trait(
        "paid_courses",
        "persona",
        ("knowledge", "fitness", "finance"),
        (
            "Paid, systematic courses taught by industry experts, with certificates.",
            "Premium structured programmes from renowned instructors.",
            "Subscription masterclasses and expert-led learning paths.",
            "Professional paid training with personal mentoring.",
        ),
        (
            "Willing to pay for systematic courses from real experts.",
            "Invests in paid training to advance a career.",
            "Prefers structured, certified programmes over free videos.",
            "Regularly buys expert masterclasses.",
        ),
        allowed=lambda p: p.get("Income Level") in ("10k-50k", ">50k") and age_of(p) >= 18,
        conflicts=("easy_tips",),
    ),
    Trait(
        "healthy",
        "persona",
        ("food", "fitness"),
        (
            "Low-calorie, balanced options with full nutrition labels.",
            "Healthy choices first: salads, whole grains and light meals.",
            "Every item shows calories, sugar and fat, for mindful eaters.",
            "Built around nutrition plans and clean eating.",
        ),
        (
            "Counts calories and prefers light, healthy meals.",
            "Checks the nutrition label before choosing anything.",
            "Is trying to eat clean and cut down on sugar.",
            "Plans meals carefully to stay healthy.",
        ),
    ),
    Trait(
        "fast_delivery",
        "persona",
        ("shopping", "food"),
        (
            "Same-day delivery and an express courier network.",
            "Lightning-fast delivery, usually within the hour.",
            "Known for the quickest shipping anywhere in the city.",
            "Express fulfilment: order now, receive it today.",
        ),
        (
            "Hates waiting and wants things delivered the same day.",
            "Always picks the fastest shipping option.",
            "Needs orders to arrive quickly because of a busy schedule.",
            "Gets impatient when a delivery takes more than a day.",
        ),
    ),
)
