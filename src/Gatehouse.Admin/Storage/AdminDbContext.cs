using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Storage;

/// <summary>The admin store: one set of tables for SQLite and PostgreSQL, created by the hand-written migrations.</summary>
/// <remarks>
/// Table and column names are set explicitly (snake_case) so they match <see cref="Migrations.InitialSchema"/>; there is
/// no model snapshot, so nothing compares the two automatically and both must change together.
/// </remarks>
internal sealed class AdminDbContext(DbContextOptions<AdminDbContext> options) : DbContext(options)
{
    /// <summary>Table <c>groups</c>.</summary>
    public DbSet<GroupEntity> Groups => Set<GroupEntity>();

    /// <summary>Table <c>services</c>.</summary>
    public DbSet<ServiceEntity> Services => Set<ServiceEntity>();

    /// <summary>Table <c>origin_mappings</c>.</summary>
    public DbSet<OriginMappingEntity> OriginMappings => Set<OriginMappingEntity>();

    /// <summary>Table <c>service_sets</c>.</summary>
    public DbSet<ServiceSetEntity> ServiceSets => Set<ServiceSetEntity>();

    /// <summary>Table <c>config_versions</c>.</summary>
    public DbSet<ConfigVersionEntity> ConfigVersions => Set<ConfigVersionEntity>();

    /// <summary>Table <c>gateway_nodes</c>.</summary>
    public DbSet<GatewayNodeEntity> GatewayNodes => Set<GatewayNodeEntity>();

    /// <summary>Table <c>admin_tokens</c>.</summary>
    public DbSet<AdminTokenEntity> AdminTokens => Set<AdminTokenEntity>();

    /// <summary>Table <c>audit_log</c> (added by <see cref="Migrations.AddAuditLog"/>).</summary>
    public DbSet<AuditEntryEntity> AuditEntries => Set<AuditEntryEntity>();

    /// <summary>Table <c>gray_configs</c> (added by <see cref="Migrations.AddGrayConfig"/>).</summary>
    public DbSet<GrayConfigEntity> GrayConfigs => Set<GrayConfigEntity>();

    /// <summary>Table <c>registry_leases</c> (added by <see cref="Migrations.AddRegistryLeases"/>).</summary>
    public DbSet<RegistryLeaseEntity> RegistryLeases => Set<RegistryLeaseEntity>();

    /// <summary>Table <c>users</c> (added by <see cref="Migrations.AddUsers"/>, like the two below).</summary>
    public DbSet<UserEntity> Users => Set<UserEntity>();

    /// <summary>Table <c>api_tokens</c>.</summary>
    public DbSet<ApiTokenEntity> ApiTokens => Set<ApiTokenEntity>();

    /// <summary>Table <c>sessions</c>.</summary>
    public DbSet<SessionEntity> Sessions => Set<SessionEntity>();

    /// <summary>Table <c>alert_rules</c> (added by <see cref="Migrations.AddAlerts"/>).</summary>
    public DbSet<AlertRuleEntity> AlertRules => Set<AlertRuleEntity>();

    /// <summary>Table <c>alerts</c>, the alert history (added by <see cref="Migrations.AddAlerts"/>).</summary>
    public DbSet<AlertEntity> Alerts => Set<AlertEntity>();

    /// <summary>Table <c>apps</c> (added by <see cref="Migrations.AddApps"/>).</summary>
    public DbSet<AppEntity> Apps => Set<AppEntity>();

    /// <summary>Table <c>plugin_packages</c> (added by <see cref="Migrations.AddPluginPackages"/>).</summary>
    public DbSet<PluginPackageEntity> PluginPackages => Set<PluginPackageEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        UserModel.Configure(modelBuilder);
        ConfigureAlerts(modelBuilder);
        ConfigureApps(modelBuilder);
        ConfigurePluginPackages(modelBuilder);
        modelBuilder.Entity<GroupEntity>(e =>
        {
            e.ToTable("groups");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Revision).HasColumnName("revision");
            e.Property(x => x.GlobalPolicyJson).HasColumnName("global_policy_json");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<ServiceEntity>(e =>
        {
            e.ToTable("services");
            e.HasKey(x => new { x.Group, x.Name });
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Position).HasColumnName("position");
            e.Property(x => x.Json).HasColumnName("json");
            e.Property(x => x.Revision).HasColumnName("revision");
        });

        modelBuilder.Entity<OriginMappingEntity>(e =>
        {
            e.ToTable("origin_mappings");
            e.HasKey(x => new { x.Group, x.Id });
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Position).HasColumnName("position");
            e.Property(x => x.Json).HasColumnName("json");
        });

        modelBuilder.Entity<ServiceSetEntity>(e =>
        {
            e.ToTable("service_sets");
            e.HasKey(x => new { x.Group, x.Tag });
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Tag).HasColumnName("tag");
            e.Property(x => x.Position).HasColumnName("position");
            e.Property(x => x.Json).HasColumnName("json");
        });

        modelBuilder.Entity<ConfigVersionEntity>(e =>
        {
            e.ToTable("config_versions");

            // (group, version) as the key is also the concurrency guard: two admins committing the same next version
            // of a group collide here, and the loser is told to retry.
            e.HasKey(x => new { x.Group, x.Version });
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.Checksum).HasColumnName("checksum");
            e.Property(x => x.Snapshot).HasColumnName("snapshot");
            e.Property(x => x.Actor).HasColumnName("actor");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.Summary).HasColumnName("summary");
            e.Property(x => x.Gray).HasColumnName("gray");
        });

        modelBuilder.Entity<GrayConfigEntity>(e =>
        {
            e.ToTable("gray_configs");

            // The group as the key is the "at most one active gray config per group" rule, also across admin processes.
            e.HasKey(x => x.Group);
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.NodesJson).HasColumnName("nodes_json");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<RegistryLeaseEntity>(e =>
        {
            e.ToTable("registry_leases");
            e.HasKey(x => new { x.Group, x.Service, x.NodeId });
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Service).HasColumnName("service");
            e.Property(x => x.NodeId).HasColumnName("node_id");
            e.Property(x => x.State).HasColumnName("state");
            e.Property(x => x.ExpiresAtMs).HasColumnName("expires_at_ms");
            e.Property(x => x.ExpiredAtMs).HasColumnName("expired_at_ms");
        });

        modelBuilder.Entity<GatewayNodeEntity>(e =>
        {
            e.ToTable("gateway_nodes");
            e.HasKey(x => new { x.Group, x.Id });
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Loc).HasColumnName("loc");
            e.Property(x => x.ControlAddress).HasColumnName("control_address");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.Checksum).HasColumnName("checksum");
            e.Property(x => x.LastSeen).HasColumnName("last_seen");
        });

        modelBuilder.Entity<AdminTokenEntity>(e =>
        {
            e.ToTable("admin_tokens");
            e.HasKey(x => x.Hash);
            e.Property(x => x.Hash).HasColumnName("hash");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<AuditEntryEntity>(e =>
        {
            e.ToTable("audit_log");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Actor).HasColumnName("actor");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.Action).HasColumnName("action");
            e.Property(x => x.EntityKind).HasColumnName("entity_kind");
            e.Property(x => x.EntityId).HasColumnName("entity_id");
            e.Property(x => x.Before).HasColumnName("before_json");
            e.Property(x => x.After).HasColumnName("after_json");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.SourceVersion).HasColumnName("source_version");
            e.Property(x => x.Summary).HasColumnName("summary");
            e.HasIndex(x => new { x.Group, x.Id }).HasDatabaseName("ix_audit_log_group_id");
        });
    }

    private static void ConfigureAlerts(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<AlertRuleEntity>(e =>
        {
            e.ToTable("alert_rules");
            e.HasKey(x => new { x.Group, x.Id });
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Kind).HasColumnName("kind");
            e.Property(x => x.Service).HasColumnName("service");
            e.Property(x => x.Api).HasColumnName("api");
            e.Property(x => x.Node).HasColumnName("node");
            e.Property(x => x.Threshold).HasColumnName("threshold");
            e.Property(x => x.WindowSeconds).HasColumnName("window_seconds");
            e.Property(x => x.MinRequests).HasColumnName("min_requests");
            e.Property(x => x.ForSeconds).HasColumnName("for_seconds");
            e.Property(x => x.CooldownSeconds).HasColumnName("cooldown_seconds");
            e.Property(x => x.WebhookUrl).HasColumnName("webhook_url");
            e.Property(x => x.Enabled).HasColumnName("enabled");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.Entity<AlertEntity>(e =>
        {
            e.ToTable("alerts");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.RuleId).HasColumnName("rule_id");
            e.Property(x => x.RuleName).HasColumnName("rule_name");
            e.Property(x => x.Kind).HasColumnName("kind");
            e.Property(x => x.State).HasColumnName("state");
            e.Property(x => x.Value).HasColumnName("value");
            e.Property(x => x.Threshold).HasColumnName("threshold");
            e.Property(x => x.Detail).HasColumnName("detail");
            e.Property(x => x.FiredAt).HasColumnName("fired_at");
            e.Property(x => x.ResolvedAt).HasColumnName("resolved_at");
            e.Property(x => x.NotifiedAt).HasColumnName("notified_at");
            e.Property(x => x.AckedAt).HasColumnName("acked_at");
            e.Property(x => x.AckedBy).HasColumnName("acked_by");
            e.HasIndex(x => new { x.Group, x.RuleId }).HasDatabaseName("ix_alerts_group_rule");
        });
    }

    private static void ConfigureApps(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<AppEntity>(e =>
        {
            e.ToTable("apps");
            e.HasKey(x => new { x.Group, x.AppKey });
            e.Property(x => x.Group).HasColumnName("group_name");
            e.Property(x => x.AppKey).HasColumnName("app_key");
            e.Property(x => x.Position).HasColumnName("position");
            e.Property(x => x.Json).HasColumnName("json");
            e.Property(x => x.SecretCipher).HasColumnName("secret_cipher");
            e.Property(x => x.Revision).HasColumnName("revision");
        });
    }

    private static void ConfigurePluginPackages(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<PluginPackageEntity>(e =>
        {
            e.ToTable("plugin_packages");
            e.HasKey(x => new { x.Name, x.Sha256 });
            e.HasIndex(x => x.Sha256).HasDatabaseName("ix_plugin_packages_sha256");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Sha256).HasColumnName("sha256");
            e.Property(x => x.Size).HasColumnName("size");
            e.Property(x => x.FactoriesJson).HasColumnName("factories_json");
            e.Property(x => x.Assembly).HasColumnName("assembly");
            e.Property(x => x.Content).HasColumnName("content");
            e.Property(x => x.UploadedAt).HasColumnName("uploaded_at");
            e.Property(x => x.UploadedBy).HasColumnName("uploaded_by");
        });
    }
}
